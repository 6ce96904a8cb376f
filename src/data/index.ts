/** Dataset loading and validation for SFT and preference data: plain strings, no tensors. */

export { type ChatMessage, MESSAGE_SEPARATOR } from './chat-messages.ts';
export { DataError, DataOptionsError, DatasetError } from './errors.ts';
export { DEFAULT_FIELD_NAMES, type FieldRole } from './field-names.ts';
export type { LoadOptions } from './load-options.ts';
export { loadPreferenceDataset } from './load-preference.ts';
export type { Loaded } from './load-records.ts';
export { loadSftDataset } from './load-sft.ts';
export { DATA_EXTENSIONS } from './read-rows.ts';
export { splitTrainEval } from './split.ts';
export type { BadRow, BadRowKind, PreferenceExample, SftExample } from './types.ts';
export { writeJsonl } from './write-jsonl.ts';
