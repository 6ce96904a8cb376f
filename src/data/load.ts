/**
 * The SFT and preference loaders and the loading loop they share: validate options (before the file
 * is opened, so a misconfiguration fails fast, whatever the data), open the file, turn each row into
 * a record or a bad row, stop at the limit, and refuse a file that yields nothing.
 */
import {
  BadRowPolicy,
  countByKind,
  DataOptionsError,
  DatasetError,
  describeBadRow,
  RowRejection,
  rejectRow,
  skippedSummary,
} from './bad-rows.ts';
import { type DataSpec, dataFiles } from './data-files.ts';
import {
  type ExtractedRecord,
  extractRecord,
  type FieldNames,
  type FieldRole,
  resolveFieldNames,
} from './extract-record.ts';
import { openRows } from './read-rows.ts';
import type { RawRow, RowSource } from './row-source.ts';
import type { BadRow, PreferenceExample, SftExample } from './types.ts';

// ---- the two loaders ----

/**
 * Loads `.jsonl`, `.json` or `.parquet` SFT data: rows with a prompt and a completion (default fields
 * `prompt`/`completion`, or the TL;DR SFT set's `query`/`reference_response`; the completion may also
 * be a chat message list). Throws DataError on the first bad row unless
 * `onBadRow: 'skip'`, and DatasetError when the file is unusable as a whole.
 */
export function loadSftDataset(path: DataSpec, opts: LoadOptions = {}): Promise<Loaded<SftExample>> {
  return loadRecords(path, opts, {
    responseRoles: ['completion'],
    build: (record, row) => ({ prompt: record.prompt, completion: record.responses[0]!.text, row }),
  });
}

/**
 * Loads `.jsonl`, `.json` or `.parquet` preference data: rows with a prompt (`prompt`, or the vwxyzjn
 * set's `query`), a chosen and a rejected response (plain strings or chat message lists, which can
 * also supply a missing prompt). A pair whose responses are identical (after
 * trimming whitespace) carries no preference and is a bad row. Errors as for loadSftDataset.
 */
export function loadPreferenceDataset(
  path: DataSpec,
  opts: LoadOptions = {},
): Promise<Loaded<PreferenceExample>> {
  return loadRecords(path, opts, {
    responseRoles: ['chosen', 'rejected'],
    extraColumns: COMPARISON_COLUMNS,
    normalize: fromComparison,
    check: rejectIdenticalPair,
    build: (record, row) => ({
      prompt: record.prompt,
      chosen: record.responses[0]!.text,
      rejected: record.responses[1]!.text,
      row,
    }),
  });
}

/** The columns of OpenAI's summarize_from_feedback `comparisons` rows. */
const COMPARISON_COLUMNS = ['info', 'summaries', 'choice'] as const;

/**
 * A row in the layout of OpenAI's `summarize_from_feedback` comparisons (`info: {post, title,
 * subreddit, …}`, `summaries: [{text, policy, note}, {text, …}]`, `choice: 0 | 1`) as a preference
 * row: the prompt in the TL;DR work's format (`SUBREDDIT: r/…\n\nTITLE: …\n\nPOST: …\n\nTL;DR:`),
 * the chosen summary `summaries[choice]` and the other, each after one space as that work has them.
 * Other rows pass unchanged.
 */
function fromComparison(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const row = value as Record<string, unknown>;
  if (!('summaries' in row && 'choice' in row && 'info' in row) || 'chosen' in row) return value;
  const { info, summaries, choice } = row;
  if (typeof info !== 'object' || info === null)
    rejectRow('wrong type', 'info', `expected an object, got ${typeof info}`);
  const post = info as Record<string, unknown>;
  for (const key of ['title', 'post'])
    if (typeof post[key] !== 'string') rejectRow('missing field', `info.${key}`, 'missing or not a string');
  if (!Array.isArray(summaries) || summaries.length !== 2)
    rejectRow('wrong type', 'summaries', 'expected a list of two {text} summaries');
  const texts = (summaries as unknown[]).map((s, i) => {
    const text = (s as { text?: unknown } | null)?.text;
    if (typeof text !== 'string')
      rejectRow('missing field', `summaries[${i}].text`, 'missing or not a string');
    return text as string;
  });
  if (choice !== 0 && choice !== 1 && choice !== 0n && choice !== 1n)
    rejectRow('wrong type', 'choice', `expected 0 or 1, got ${JSON.stringify(String(choice))}`);
  const chosen = Number(choice);
  const subreddit = typeof post.subreddit === 'string' ? `SUBREDDIT: r/${post.subreddit}\n\n` : '';
  const spaced = (t: string) => (/^\s/.test(t) ? t : ` ${t}`);
  return {
    prompt: `${subreddit}TITLE: ${post.title}\n\nPOST: ${post.post}\n\nTL;DR:`,
    chosen: spaced(texts[chosen]!),
    rejected: spaced(texts[1 - chosen]!),
  };
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

// ---- options ----

export interface LoadOptions {
  /** 'fail' (default): the first bad row throws a DataError. 'skip': bad rows are collected and counted. */
  onBadRow?: 'fail' | 'skip';
  /** Field name overrides, e.g. `{ prompt: 'question' }`; an override replaces the default names. */
  fields?: Partial<Record<FieldRole, string>>;
  /** Token counter; required when a token limit is set. */
  countTokens?: (text: string) => number;
  /** A row whose prompt counts more tokens than this is bad ('over-long'). */
  maxPromptTokens?: number;
  /** A row where prompt + a response counts more tokens than this is bad ('over-long'). */
  maxTotalTokens?: number;
  /** Stop once this many good examples are loaded; later rows are not read. */
  limit?: number;
  /** Where the skipped-rows summary goes; defaults to console.error. */
  log?: (msg: string) => void;
}

/** Throws a DataOptionsError naming the offending option(s); returns nothing when the options are usable. */
export function validateLoadOptions(opts: LoadOptions): void {
  if (opts.onBadRow !== undefined && opts.onBadRow !== 'fail' && opts.onBadRow !== 'skip') {
    throw new DataOptionsError(`onBadRow must be 'fail' or 'skip', got ${JSON.stringify(opts.onBadRow)}`);
  }
  requirePositiveInteger('limit', opts.limit);
  requirePositiveInteger('maxPromptTokens', opts.maxPromptTokens);
  requirePositiveInteger('maxTotalTokens', opts.maxTotalTokens);
  validateTokenBudget(opts);
}

function validateTokenBudget(opts: LoadOptions): void {
  const { maxPromptTokens: prompt, maxTotalTokens: total } = opts;
  if ((prompt !== undefined || total !== undefined) && opts.countTokens === undefined) {
    const names = [prompt !== undefined && 'maxPromptTokens', total !== undefined && 'maxTotalTokens'].filter(
      Boolean,
    );
    const verb = names.length > 1 ? 'need' : 'needs';
    throw new DataOptionsError(`${names.join(' and ')} ${verb} countTokens to count tokens`);
  }
  if (prompt !== undefined && total !== undefined && prompt >= total) {
    throw new DataOptionsError(
      `maxPromptTokens (${prompt}) must be less than maxTotalTokens (${total}): ` +
        'otherwise no room is left for the response, and training on empty responses gives NaN losses',
    );
  }
}

function requirePositiveInteger(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value <= 0) {
    throw new DataOptionsError(`${name} must be a positive integer, got ${value}`);
  }
}

// ---- token limits ----

export interface TokenLimits {
  countTokens?: (text: string) => number;
  maxPromptTokens?: number;
  maxTotalTokens?: number;
}

/**
 * Rejects an over-long row: the prompt alone against maxPromptTokens, and prompt + each response
 * against maxTotalTokens. Texts are counted separately and summed, as a trainer tokenises them before
 * concatenating; a count equal to the limit fits. Does nothing when no limit or no counter is set.
 */
export function checkTokenLimits(record: ExtractedRecord, limits: TokenLimits): void {
  const { countTokens, maxPromptTokens, maxTotalTokens } = limits;
  if (!countTokens || (maxPromptTokens === undefined && maxTotalTokens === undefined)) return;
  const promptTokens = countTokens(record.prompt);
  if (maxPromptTokens !== undefined && promptTokens > maxPromptTokens) {
    const reason = `prompt is ${promptTokens} tokens, over the maxPromptTokens limit of ${maxPromptTokens}`;
    rejectRow('over-long', record.promptField, reason);
  }
  if (maxTotalTokens === undefined) return;
  for (const response of record.responses) {
    const responseTokens = countTokens(response.text);
    const total = promptTokens + responseTokens;
    if (total > maxTotalTokens) {
      const parts = `prompt ${promptTokens} + response ${responseTokens}`;
      rejectRow(
        'over-long',
        response.field,
        `${total} tokens (${parts}), over the maxTotalTokens limit of ${maxTotalTokens}`,
      );
    }
  }
}

// ---- the shared loop ----

/** What a loader adds to the shared loop. */
export interface RecordKind<E> {
  /** The response roles, in field order: ['completion'] or ['chosen', 'rejected']. */
  responseRoles: readonly FieldRole[];
  /** Extra row checks; throw via rejectRow. */
  check?: (record: ExtractedRecord) => void;
  /** Rewrites a row of another published layout into the field layout (throw via rejectRow). */
  normalize?: (value: unknown) => unknown;
  /** Columns `normalize` reads, besides the fields'. */
  extraColumns?: readonly string[];
  build: (record: ExtractedRecord, row: number) => E;
}

export interface Loaded<E> {
  examples: E[];
  skipped: BadRow[];
}

/**
 * Loads every file of `spec` (data-files.ts) in order, stopping at the limit; each file's rows are
 * checked as a file of its own (a bad row names its file and row).
 */
export async function loadRecords<E>(
  spec: DataSpec,
  opts: LoadOptions,
  kind: RecordKind<E>,
): Promise<Loaded<E>> {
  validateLoadOptions(opts);
  const files = dataFiles(spec);
  if (files.length === 1) return loadFile(files[0]!, opts, kind);
  const out: Loaded<E> = { examples: [], skipped: [] };
  for (const file of files) {
    const limit = opts.limit === undefined ? undefined : opts.limit - out.examples.length;
    if (limit === 0) break;
    const part = await loadFile(file, { ...opts, limit }, kind);
    out.examples.push(...part.examples);
    out.skipped.push(...part.skipped);
  }
  return out;
}

async function loadFile<E>(path: string, opts: LoadOptions, kind: RecordKind<E>): Promise<Loaded<E>> {
  const names = resolveFieldNames(opts.fields);
  const source = await openRows(path, [
    ...wantedColumns(names, kind.responseRoles),
    ...(kind.extraColumns ?? []),
  ]);
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
    if ('invalidUtf8' in raw) rejectRow('invalid UTF-8', '', raw.invalidUtf8);
    if ('parseError' in raw) rejectRow('invalid JSON', '', `invalid JSON: ${raw.parseError}`);
    const value = kind.normalize ? kind.normalize(raw.value) : raw.value;
    const record = extractRecord(value, names, kind.responseRoles, value === raw.value ? columns : undefined);
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
