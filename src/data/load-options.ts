/**
 * Options shared by the SFT and preference loaders, and their validation. Validation runs before the
 * file is opened so a misconfiguration fails fast, whatever the data.
 */
import { DataOptionsError } from './errors.ts';
import type { FieldRole } from './field-names.ts';

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
