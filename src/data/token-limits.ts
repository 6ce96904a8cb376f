/**
 * Over-long rows: the prompt alone against maxPromptTokens, and prompt + each response against
 * maxTotalTokens. Texts are counted separately and summed, as a trainer tokenises them before
 * concatenating. A count equal to the limit fits.
 */
import type { ExtractedRecord } from './extract-record.ts';
import { rejectRow } from './row-rejection.ts';

export interface TokenLimits {
  countTokens?: (text: string) => number;
  maxPromptTokens?: number;
  maxTotalTokens?: number;
}

/** Rejects the row when a limit is exceeded; does nothing when no limit or no counter is set. */
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
