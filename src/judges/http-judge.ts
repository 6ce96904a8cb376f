/**
 * An OpenAI-compatible chat-completions judge (POST {baseUrl}/chat/completions), the kind of
 * LLM judge the TL;DR win rates were measured with (e.g. GPT-4o-mini). The two summaries are shown
 * in a seeded random order to cancel position bias; timeouts and retries (429, 5xx, network
 * errors, with exponential backoff) are explicit; an unparseable answer counts as a tie and is
 * reported, never silently dropped — and when more than `maxUnparsedFraction` of one call's answers
 * do not parse, the call fails with those raw answers (a judge that answers in another format would
 * otherwise give a win rate of 0.5 everywhere). Redirects are never followed to another origin
 * (the request, prompt and key included, must not go anywhere but baseUrl's server).
 */
import type { Judge, JudgeItem, Verdict } from './types.ts';

export interface HttpJudgeConfig {
  /** e.g. http://127.0.0.1:8000/v1 */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer …` when set (read it from an environment variable, never a config file). */
  apiKey?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /** First backoff delay; doubles per retry. */
  backoffMs?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  seed?: number;
  /** Above this fraction of unparsable answers in one `judge()` call, the call fails. */
  maxUnparsedFraction?: number;
}

/** Default of {@link HttpJudgeConfig.maxUnparsedFraction}. */
export const MAX_UNPARSED_FRACTION = 0.2;

/** Raw answers shown in the error of a call with too many unparsable answers. */
const ANSWERS_SHOWN = 5;

export class JudgeUnparsedError extends Error {
  override name = 'JudgeUnparsedError';
  constructor(
    readonly judgeName: string,
    readonly unparsed: number,
    readonly total: number,
    readonly maxFraction: number,
    /** Every unparsable answer of the call, as the judge wrote it. */
    readonly answers: string[],
  ) {
    super(
      `judge ${judgeName}: ${unparsed} of ${total} answers name neither summary (more than ` +
        `maxUnparsedFraction ${maxFraction}), so its win rate would be meaningless; the evaluation fails. ` +
        `Raw answers (${Math.min(ANSWERS_SHOWN, answers.length)} of ${answers.length}): ` +
        answers
          .slice(0, ANSWERS_SHOWN)
          .map((a) => JSON.stringify(a.length > 300 ? `${a.slice(0, 300)}…` : a))
          .join(' | '),
    );
  }
}

/** The comparison prompt (after the TL;DR judge prompt of Rafailov et al. 2023, Appendix D.2). */
export function judgePrompt(post: string, first: string, second: string): string {
  return [
    'Which of the following summaries does a better job of summarizing the most important points in the given forum post, without including unimportant or irrelevant details? A good summary is both precise and concise.',
    '',
    `Post:\n${post}`,
    '',
    `Summary A:\n${first}`,
    '',
    `Summary B:\n${second}`,
    '',
    'FIRST provide a one-sentence comparison of the two summaries, explaining which you prefer and why. SECOND, on a new line, state only "A" or "B" to indicate your choice. Your response should use the format:',
    'Comparison: <one-sentence comparison and explanation>',
    'Preferred: <"A" or "B">',
  ].join('\n');
}

/** "A" / "B" from the judge's answer, or null when it names neither. */
export function parsePreference(answer: string): 'A' | 'B' | null {
  const m = answer.match(/Preferred:\s*"?\s*([AB])\b/i);
  return m ? (m[1]!.toUpperCase() as 'A' | 'B') : null;
}

export class HttpJudge implements Judge {
  readonly name: string;
  /** Answers of the last `judge()` call that named neither summary (counted as ties). */
  unparsed = 0;
  /** Those answers, raw. */
  unparsedAnswers: string[] = [];
  private readonly c: Required<Omit<HttpJudgeConfig, 'apiKey'>> & { apiKey?: string };

  constructor(config: HttpJudgeConfig) {
    if (!/^https?:\/\//.test(config.baseUrl))
      throw new Error(`judge.baseUrl must be an http(s) URL, got "${config.baseUrl}"`);
    this.c = {
      timeoutMs: 30_000,
      maxRetries: 3,
      backoffMs: 500,
      concurrency: 4,
      seed: 0,
      maxUnparsedFraction: MAX_UNPARSED_FRACTION,
      ...config,
    };
    this.name = `http:${config.model}`;
  }

  /**
   * Verdicts of the policy's summaries against the references. `unparsed` then counts this call's
   * unparsable answers; above `maxUnparsedFraction` of them, throws JudgeUnparsedError.
   */
  async judge(items: JudgeItem[]): Promise<Verdict[]> {
    const out: Verdict[] = new Array(items.length);
    const unparsed: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await this.judgeOne(items[i]!, i, unparsed);
    };
    await Promise.all(Array.from({ length: Math.min(this.c.concurrency, items.length) }, worker));
    this.unparsed = unparsed.length;
    this.unparsedAnswers = unparsed;
    if (unparsed.length > this.c.maxUnparsedFraction * items.length)
      throw new JudgeUnparsedError(
        this.name,
        unparsed.length,
        items.length,
        this.c.maxUnparsedFraction,
        unparsed,
      );
    return out;
  }

  private async judgeOne(item: JudgeItem, index: number, unparsed: string[]): Promise<Verdict> {
    const policyFirst = hashBit(this.c.seed, index);
    const [a, b] = policyFirst ? [item.policy, item.reference] : [item.reference, item.policy];
    const answer = await this.complete(judgePrompt(item.post, a, b));
    const choice = parsePreference(answer);
    if (choice === null) {
      unparsed.push(answer);
      return 0.5;
    }
    return (choice === 'A') === policyFirst ? 1 : 0;
  }

  private async complete(prompt: string): Promise<string> {
    let lastError = '';
    for (let attempt = 0; attempt <= this.c.maxRetries; attempt++) {
      if (attempt > 0) await sleep(this.c.backoffMs * 2 ** (attempt - 1));
      try {
        const res = await this.post(`${this.c.baseUrl.replace(/\/$/, '')}/chat/completions`, {
          headers: {
            'content-type': 'application/json',
            ...(this.c.apiKey ? { authorization: `Bearer ${this.c.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: this.c.model,
            temperature: 0,
            messages: [{ role: 'user', content: prompt }],
          }),
          signal: AbortSignal.timeout(this.c.timeoutMs),
        });
        if (res.status >= 300 && res.status < 400)
          throw new Error(
            `judge ${this.c.baseUrl} redirects to ${res.headers.get('location') ?? '(no location)'} (HTTP ${res.status}), ` +
              'another origin: not followed. Set judgeHttp.baseUrl to the address that answers',
          );
        if (res.status === 429 || res.status >= 500) {
          lastError = `HTTP ${res.status}`;
          continue;
        }
        if (!res.ok)
          throw new Error(
            `judge ${this.c.baseUrl} answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`,
          );
        const body = (await res.json()) as { choices?: { message?: { content?: unknown } }[] };
        const content = body.choices?.[0]?.message?.content;
        if (typeof content !== 'string')
          throw new Error(`judge ${this.c.baseUrl} returned no choices[0].message.content`);
        return content;
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('judge ')) throw e;
        lastError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    }
    throw new Error(
      `judge ${this.c.baseUrl} failed after ${this.c.maxRetries + 1} attempts (last: ${lastError})`,
    );
  }

  /**
   * POSTs without following redirects, except a 307/308 to the same origin (kept a POST, at most
   * 5 hops); any other 3xx response is returned as it is, for the caller to refuse.
   */
  private async post(url: string, init: Omit<RequestInit, 'method' | 'redirect'>): Promise<Response> {
    let target = new URL(url);
    for (let hop = 0; ; hop++) {
      const res = await fetch(target, { ...init, method: 'POST', redirect: 'manual' });
      const location = res.headers.get('location');
      if (![307, 308].includes(res.status) || location === null || hop >= 5) return res;
      const next = new URL(location, target);
      if (next.origin !== target.origin) return res;
      await res.body?.cancel();
      target = next;
    }
  }
}

function hashBit(seed: number, i: number): boolean {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h ^= h >>> 15;
  return (Math.imul(h, 0x2c1b3c6d) >>> 16) % 2 === 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
