/**
 * The HTTP judge against a local fake chat-completions server (127.0.0.1 only): order
 * randomisation mapped back correctly, retries on 5xx/429, timeouts, unparseable answers as ties.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  compareScores,
  HttpJudge,
  JudgeUnparsedError,
  judgePrompt,
  parsePreference,
  winRateOf,
} from '../../src/judges/index.ts';

type Handler = (prompt: string, attempt: number) => { status?: number; content?: string; delayMs?: number };
let server: Server | null = null;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function fakeJudge(handler: Handler): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const prompt = (JSON.parse(body) as { messages: { content: string }[] }).messages[0]!.content;
      requests.push(prompt);
      const r = handler(prompt, requests.filter((p) => p === prompt).length);
      setTimeout(() => {
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: r.content ?? '' } }] }));
      }, r.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1`, requests };
}

/** A fake judge that always prefers the summary containing "GOOD", wherever it is shown. */
const prefersGood: Handler = (prompt) => {
  const a = prompt.split('Summary A:\n')[1]!.split('\n')[0]!;
  return { content: `Comparison: one is better.\nPreferred: ${a.includes('GOOD') ? 'A' : 'B'}` };
};

const items = (n: number, policyGood: (i: number) => boolean) =>
  Array.from({ length: n }, (_, i) => ({
    post: `post ${i}`,
    policy: policyGood(i) ? `GOOD p${i}` : `bad p${i}`,
    reference: policyGood(i) ? `bad r${i}` : `GOOD r${i}`,
  }));

describe('HTTP judge', () => {
  it('maps the shuffled A/B answer back to policy vs reference', async () => {
    const { url, requests } = await fakeJudge(prefersGood);
    const judge = new HttpJudge({ baseUrl: url, model: 'fake', seed: 7 });
    const verdicts = await judge.judge(items(20, (i) => i % 4 === 0));
    expect(verdicts).toEqual(Array.from({ length: 20 }, (_, i) => (i % 4 === 0 ? 1 : 0)));
    expect(winRateOf(verdicts)).toBeCloseTo(5 / 20, 12);
    // Both presentation orders were used (position-bias control).
    const policyShownFirst = requests.filter((p) => /Summary A:\n(GOOD|bad) p/.test(p)).length;
    expect(policyShownFirst).toBeGreaterThan(2);
    expect(policyShownFirst).toBeLessThan(18);
  });

  it('retries 500 and 429 answers with backoff, then succeeds', async () => {
    const { url, requests } = await fakeJudge((p, attempt) =>
      attempt === 1 ? { status: 500 } : attempt === 2 ? { status: 429 } : prefersGood(p, attempt),
    );
    const judge = new HttpJudge({ baseUrl: url, model: 'fake', backoffMs: 5, maxRetries: 3 });
    expect(await judge.judge(items(1, () => true))).toEqual([1]);
    expect(requests.length).toBe(3);
  });

  it('gives up after maxRetries with an error naming the server and the last failure', async () => {
    const { url } = await fakeJudge(() => ({ status: 503 }));
    const judge = new HttpJudge({ baseUrl: url, model: 'fake', backoffMs: 1, maxRetries: 2 });
    await expect(judge.judge(items(1, () => true))).rejects.toThrow(
      /failed after 3 attempts \(last: HTTP 503\)/,
    );
  });

  it('times out slow answers and retries them', async () => {
    const { url, requests } = await fakeJudge((p, attempt) =>
      attempt === 1 ? { delayMs: 400, ...prefersGood(p, attempt) } : prefersGood(p, attempt),
    );
    const judge = new HttpJudge({ baseUrl: url, model: 'fake', timeoutMs: 100, backoffMs: 1 });
    expect(await judge.judge(items(1, () => false))).toEqual([0]);
    expect(requests.length).toBe(2);
  });

  it('does not retry a 400 and reports the body', async () => {
    const { url, requests } = await fakeJudge(() => ({ status: 400, content: 'bad model' }));
    const judge = new HttpJudge({ baseUrl: url, model: 'fake', backoffMs: 1 });
    await expect(judge.judge(items(1, () => true))).rejects.toThrow(/HTTP 400/);
    expect(requests.length).toBe(1);
  });

  it('counts an answer naming neither summary as a tie, per call (not accumulated)', async () => {
    // Every 5th post (4 of 20) gets an answer that names neither: 0.2 is allowed by default.
    const { url } = await fakeJudge((prompt) =>
      /post (0|5|10|15)\n/.test(prompt)
        ? { content: 'Comparison: both fine.\nPreferred: neither' }
        : prefersGood(prompt, 1),
    );
    const judge = new HttpJudge({ baseUrl: url, model: 'fake' });
    for (let call = 0; call < 3; call++) {
      const verdicts = await judge.judge(items(20, () => true));
      expect(verdicts.filter((v) => v === 0.5)).toHaveLength(4);
      expect(judge.unparsed).toBe(4);
      expect(judge.unparsedAnswers).toEqual(Array(4).fill('Comparison: both fine.\nPreferred: neither'));
    }
  });

  it('fails the call when more than maxUnparsedFraction of the answers do not parse, showing them', async () => {
    const { url } = await fakeJudge((p) => ({ content: `I like ${p.includes('post 1\n') ? 'B' : 'both'}` }));
    const judge = new HttpJudge({ baseUrl: url, model: 'fake', maxUnparsedFraction: 0.5 });
    const failure = judge.judge(items(4, () => true));
    await expect(failure).rejects.toBeInstanceOf(JudgeUnparsedError);
    await expect(failure).rejects.toThrow(
      /judge http:fake: 4 of 4 answers name neither summary \(more than maxUnparsedFraction 0\.5\).*"I like both"/,
    );
    expect(judge.unparsed).toBe(4);
  });

  it('never follows a redirect to another origin; a same-origin 307 is followed as a POST', async () => {
    const other = await fakeJudge(prefersGood); // the "other origin": must receive nothing
    const otherServer = server;
    const requests: string[] = [];
    const redirecting = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const location = req.url?.startsWith('/v1/')
        ? '/moved/chat/completions'
        : `${other.url}/chat/completions`;
      res.writeHead(307, { location });
      res.end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/v1`;
      const judge = new HttpJudge({ baseUrl: url, model: 'fake', apiKey: 'secret', maxRetries: 0 });
      await expect(judge.judge(items(1, () => true))).rejects.toThrow(
        `judge ${url} redirects to ${other.url}/chat/completions (HTTP 307), another origin: not followed`,
      );
      expect(requests).toEqual(['POST /v1/chat/completions', 'POST /moved/chat/completions']);
      expect(other.requests).toEqual([]);
    } finally {
      await new Promise<void>((r) => redirecting.close(() => r()));
      server = otherServer;
    }
  });

  it('parses the preference line and builds the prompt with both summaries', () => {
    expect(parsePreference('Comparison: x\nPreferred: B')).toBe('B');
    expect(parsePreference('Preferred: "A"')).toBe('A');
    expect(parsePreference('I like A')).toBeNull();
    const p = judgePrompt('the post', 'first', 'second');
    expect(p).toContain('Summary A:\nfirst');
    expect(p).toContain('Summary B:\nsecond');
    expect(() => new HttpJudge({ baseUrl: 'ftp://x', model: 'm' })).toThrow(/http\(s\) URL/);
  });

  it('scores: the higher wins, equal scores tie (counted half in the win rate)', () => {
    const verdicts = [compareScores(3, 1), compareScores(1, 2), compareScores(0.5, 0.5)];
    expect(verdicts).toEqual([1, 0, 0.5]);
    expect(winRateOf(verdicts)).toBe(0.5);
  });
});
