/** Dataset loading and validation for SFT and preference data: plain strings, no tensors. */

export { DataError, DataOptionsError, DatasetError } from './bad-rows.ts';
export {
  type ChatMessage,
  DEFAULT_FIELD_NAMES,
  type FieldRole,
  MESSAGE_SEPARATOR,
} from './extract-record.ts';
export { type Loaded, type LoadOptions, loadPreferenceDataset, loadSftDataset } from './load.ts';
export { DATA_EXTENSIONS } from './read-rows.ts';
export { splitTrainEval } from './split.ts';
export type { BadRow, BadRowKind, PreferenceExample, SftExample } from './types.ts';
export { writeJsonl } from './write-jsonl.ts';
