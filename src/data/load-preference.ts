/**
 * Preference datasets: rows with a prompt, a chosen and a rejected response. Default fields are
 * `prompt` (or the vwxyzjn set's `query`), `chosen` and `rejected`; responses may be plain strings or
 * chat message lists, which can also supply a missing prompt.
 */
import type { ExtractedRecord } from './extract-record.ts';
import type { LoadOptions } from './load-options.ts';
import { type Loaded, loadRecords } from './load-records.ts';
import { rejectRow } from './row-rejection.ts';
import type { PreferenceExample } from './types.ts';

/**
 * Loads `.jsonl`, `.json` or `.parquet` preference data. A pair whose responses are identical (after
 * trimming whitespace) carries no preference and is a bad row. Errors as for loadSftDataset.
 */
export function loadPreferenceDataset(
  path: string,
  opts: LoadOptions = {},
): Promise<Loaded<PreferenceExample>> {
  return loadRecords(path, opts, {
    responseRoles: ['chosen', 'rejected'],
    check: rejectIdenticalPair,
    build: (record, row) => ({
      prompt: record.prompt,
      chosen: record.responses[0]!.text,
      rejected: record.responses[1]!.text,
      row,
    }),
  });
}

function rejectIdenticalPair(record: ExtractedRecord): void {
  const [chosen, rejected] = record.responses;
  if (chosen!.text.trim() === rejected!.text.trim()) {
    rejectRow(
      'identical pair',
      rejected!.field,
      `identical to "${chosen!.field}", so the pair states no preference`,
    );
  }
}
