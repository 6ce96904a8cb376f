/**
 * SFT datasets: rows with a prompt and a completion. Default fields are `prompt`/`completion`, or the
 * TL;DR SFT set's `query`/`reference_response`; the completion may also be a chat message list.
 */
import type { LoadOptions } from './load-options.ts';
import { type Loaded, loadRecords } from './load-records.ts';
import type { SftExample } from './types.ts';

/**
 * Loads `.jsonl`, `.json` or `.parquet` SFT data. Throws DataError on the first bad row unless
 * `onBadRow: 'skip'`, and DatasetError when the file is unusable as a whole.
 */
export function loadSftDataset(path: string, opts: LoadOptions = {}): Promise<Loaded<SftExample>> {
  return loadRecords(path, opts, {
    responseRoles: ['completion'],
    build: (record, row) => ({ prompt: record.prompt, completion: record.responses[0]!.text, row }),
  });
}
