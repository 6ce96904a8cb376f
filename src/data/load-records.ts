/**
 * The loading loop shared by the SFT and preference loaders: validate options, open the file, turn
 * each row into a record or a bad row, stop at the limit, and refuse a file that yields nothing.
 */
import { BadRowPolicy, countByKind, skippedSummary } from './bad-rows.ts';
import { DatasetError, describeBadRow } from './errors.ts';
import { type ExtractedRecord, extractRecord } from './extract-record.ts';
import { type FieldNames, type FieldRole, resolveFieldNames } from './field-names.ts';
import { type LoadOptions, validateLoadOptions } from './load-options.ts';
import type { RawRow, RowSource } from './raw-rows.ts';
import { openRows } from './read-rows.ts';
import { RowRejection, rejectRow } from './row-rejection.ts';
import { checkTokenLimits } from './token-limits.ts';
import type { BadRow } from './types.ts';

/** What a loader adds to the shared loop. */
export interface RecordKind<E> {
  /** The response roles, in field order: ['completion'] or ['chosen', 'rejected']. */
  responseRoles: readonly FieldRole[];
  /** Extra row checks; throw via rejectRow. */
  check?: (record: ExtractedRecord) => void;
  build: (record: ExtractedRecord, row: number) => E;
}

export interface Loaded<E> {
  examples: E[];
  skipped: BadRow[];
}

export async function loadRecords<E>(
  path: string,
  opts: LoadOptions,
  kind: RecordKind<E>,
): Promise<Loaded<E>> {
  validateLoadOptions(opts);
  const names = resolveFieldNames(opts.fields);
  const source = await openRows(path, wantedColumns(names, kind.responseRoles));
  const policy = new BadRowPolicy(path, opts.onBadRow ?? 'fail');
  const examples: E[] = [];
  let rowsRead = 0;
  for await (const raw of rowsOf(source)) {
    rowsRead += 1;
    const example = tryBuild(raw, names, source.columns, opts, kind, policy);
    if (example !== undefined) examples.push(example);
    if (examples.length === opts.limit) break;
  }
  requireUsable(path, rowsRead, examples.length, policy.skipped);
  if (policy.skipped.length > 0) (opts.log ?? console.error)(skippedSummary(path, policy.skipped, rowsRead));
  return { examples, skipped: policy.skipped };
}

function wantedColumns(names: FieldNames, responseRoles: readonly FieldRole[]): string[] {
  return [...names.prompt, ...responseRoles.flatMap((role) => names[role])];
}

async function* rowsOf(source: RowSource): AsyncGenerator<RawRow> {
  for await (const batch of source.batches) yield* batch;
}

function tryBuild<E>(
  raw: RawRow,
  names: FieldNames,
  columns: readonly string[] | undefined,
  limits: LoadOptions,
  kind: RecordKind<E>,
  policy: BadRowPolicy,
): E | undefined {
  try {
    if ('parseError' in raw) rejectRow('invalid JSON', '', `invalid JSON: ${raw.parseError}`);
    const record = extractRecord(raw.value, names, kind.responseRoles, columns);
    kind.check?.(record);
    checkTokenLimits(record, limits);
    return kind.build(record, raw.row);
  } catch (e) {
    if (!(e instanceof RowRejection)) throw e;
    policy.reject(raw.row, e.problem);
    return undefined;
  }
}

function requireUsable(path: string, rowsRead: number, kept: number, skipped: readonly BadRow[]): void {
  if (rowsRead === 0) throw new DatasetError(path, 'no rows (the file is empty)');
  if (kept > 0) return;
  const first = describeBadRow(skipped[0]!);
  throw new DatasetError(
    path,
    `no usable rows: all ${rowsRead} rows are bad (${countByKind(skipped)}); first: ${first}`,
  );
}
