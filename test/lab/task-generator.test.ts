import { describe, expect, it } from 'vitest';
import {
  ALL_FACT_KEYWORDS,
  ASKS,
  allSummaryForms,
  CONTEXTS,
  completeSummary,
  createRng,
  EOS_TOKEN,
  FILLERS,
  formatSummaryForm,
  GENERIC_SUBREDDIT,
  generateLabDataset,
  generatePreferencePosts,
  goldScore,
  LAB_VOCAB,
  MAX_PROMPT_TOKENS,
  offDistributionProbes,
  PROBLEM_SENTENCE_TEMPLATES,
  PROBLEMS,
  REFERENCE_HABITS,
  randomFormSummary,
  SUBJECTS,
  type SummaryForm,
  splitLabText,
  TERSE_FORM,
  TIMINGS,
  TITLE_TEMPLATES,
  winRate,
} from '../../src/lab/task/index.ts';

describe('lab rng', () => {
  it('repeats for a seed, differs across seeds, stays in [0, 1)', () => {
    const draw = (seed: number) => Array.from({ length: 1000 }, createRng(seed));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    const values = draw(3);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    // Uniform mean 1/2, sd of the mean sqrt(1/12/1000) ≈ 0.009: 4 sd.
    expect(values.reduce((a, b) => a + b) / values.length).toBeCloseTo(0.5, 1);
  });
});

describe('generateLabDataset', () => {
  const dataset = generateLabDataset({ seed: 11, nTrain: 600, nEval: 100 });
  const rows = [...dataset.train, ...dataset.eval];

  it('is deterministic from the seed', () => {
    expect(generateLabDataset({ seed: 11, nTrain: 600, nEval: 100 })).toEqual(dataset);
    const other = generateLabDataset({ seed: 12, nTrain: 600, nEval: 100 });
    expect(other.train.map((row) => row.query)).not.toEqual(dataset.train.map((row) => row.query));
  });

  it('keeps eval independent of the train size and free of train prompts', () => {
    expect(generateLabDataset({ seed: 11, nTrain: 0, nEval: 100 }).eval.slice(0, 5)).toEqual(
      dataset.eval.slice(0, 5),
    );
    const trainQueries = new Set(dataset.train.map((row) => row.query));
    expect(dataset.eval.filter((row) => trainQueries.has(row.query))).toEqual([]);
    expect(dataset.train).toHaveLength(600);
    expect(dataset.eval).toHaveLength(100);
  });

  it('writes prompts in the TL;DR format within the token limit', () => {
    const format = /^SUBREDDIT: r\/\w+\nTITLE: [a-z ]+\nPOST: [a-z ,.?]+\nTL;DR:$/;
    for (const row of rows) {
      expect(row.query).toMatch(format);
      expect(splitLabText(row.query).length).toBeLessThanOrEqual(MAX_PROMPT_TOKENS);
    }
  });

  it('states the key facts in the post and the reference, which ends with ? and EOS', () => {
    for (const { query, reference_response: reference, facts } of rows) {
      const postTokens = new Set(splitLabText(query));
      const referenceTokens = splitLabText(reference);
      for (const word of [facts.subject, ...referenceTokens.filter((t) => ALL_FACT_KEYWORDS.has(t))]) {
        expect(postTokens.has(word)).toBe(true);
      }
      expect(reference.startsWith(' ')).toBe(true);
      expect(reference.endsWith(`?${EOS_TOKEN}`)).toBe(true);
      expect(referenceTokens.length).toBeLessThanOrEqual(21);
      expect(allSummaryForms().map((form) => formatSummaryForm(facts, form))).toContain(reference);
    }
  });

  it('writes references with the documented habits', () => {
    expect(REFERENCE_HABITS).toEqual({
      timing: 0.35,
      context: 0.35,
      leaveOutSubject: 0.12,
      vagueAsk: 0.12,
      myStyle: 0.3,
    });
    const formOf = (row: (typeof rows)[number]): SummaryForm =>
      allSummaryForms().find((form) => formatSummaryForm(row.facts, form) === row.reference_response)!;
    const forms = rows.map(formOf);
    const rate = (f: (form: SummaryForm) => boolean) => forms.filter(f).length / forms.length;
    // 700 rows: sd ≤ sqrt(0.35 · 0.65 / 700) ≈ 0.018; 4 sd.
    expect(Math.abs(rate((f) => f.timing) - 0.35)).toBeLessThan(0.072);
    expect(Math.abs(rate((f) => f.context) - 0.35)).toBeLessThan(0.072);
    expect(Math.abs(rate((f) => !f.subject) - 0.12)).toBeLessThan(0.05);
    expect(Math.abs(rate((f) => f.ask === 'vague') - 0.12)).toBeLessThan(0.05);
    // Gold: one point per fact stated (the problem always is).
    rows.forEach((row, i) => {
      const f = forms[i]!;
      const expected =
        1 + Number(f.subject) + Number(f.timing) + Number(f.context) + Number(f.ask === 'specific');
      expect(goldScore(row.facts, row.reference_response).score).toBe(expected);
    });
  });

  it('spells out a known post by hand', () => {
    const facts = {
      subject: 'roommate',
      problem: 'eats-food',
      timing: 'every-weekend',
      context: 'live-together',
      ask: 'move-out',
    };
    expect(completeSummary(facts)).toBe(
      ' roommate eats my food every weekend , we live together , should i move out ?<|endoftext|>',
    );
    const form = (f: Partial<SummaryForm>) => formatSummaryForm(facts, { ...TERSE_FORM, ...f });
    expect(form({})).toBe(' roommate eats my food , should i move out ?<|endoftext|>');
    expect(form({ style: 'my', timing: true })).toBe(
      ' my roommate eats my food every weekend . should i move out ?<|endoftext|>',
    );
    expect(form({ ask: 'vague', context: true })).toBe(
      ' roommate eats my food , we live together , what do i do ?<|endoftext|>',
    );
    expect(form({ subject: false })).toBe(' eats my food , should i move out ?<|endoftext|>');
  });

  it('uses the whole grammar over a few hundred posts', () => {
    const used = (key: 'subject' | 'problem' | 'timing' | 'context' | 'ask') =>
      new Set(rows.map((row) => row.facts[key]));
    expect(used('subject').size).toBe(SUBJECTS.length);
    expect(used('problem').size).toBe(PROBLEMS.length);
    expect(used('timing').size).toBe(TIMINGS.length);
    expect(used('context').size).toBe(CONTEXTS.length);
    expect(used('ask').size).toBe(ASKS.length);
    const fillerCounts = rows.map((row) => FILLERS.filter((f) => row.query.includes(`${f} .`)).length);
    expect(new Set(fillerCounts)).toEqual(new Set([0, 1, 2]));
  });
});

describe('generatePreferencePosts', () => {
  it('draws deterministic posts from their own streams, apart from the SFT splits', () => {
    const train = generatePreferencePosts({ seed: 11, n: 50, split: 'train' });
    expect(generatePreferencePosts({ seed: 11, n: 50, split: 'train' })).toEqual(train);
    const evalPosts = generatePreferencePosts({ seed: 11, n: 50, split: 'eval' });
    const sft = generateLabDataset({ seed: 11, nTrain: 50, nEval: 50 });
    const queries = (r: { query: string }[]) => r.map((x) => x.query);
    expect(queries(evalPosts)).not.toEqual(queries(train));
    expect(queries(train)).not.toEqual(queries(sft.train));
    expect(queries(evalPosts)).not.toEqual(queries(sft.eval));
    expect(() => generatePreferencePosts({ seed: 1, n: -1, split: 'train' })).toThrow(/non-negative/);
  });
});

describe('headroom', () => {
  // Reference score = 1 (problem) + subject + timing + context + specific question, each habit
  // independent; this enumerates the distribution from the documented habit rates alone.
  const stated = [1 - 0.12, 0.35, 0.35, 1 - 0.12];
  const distribution = new Map<number, number>();
  for (let mask = 0; mask < 16; mask++) {
    let p = 1;
    let score = 1;
    stated.forEach((q, bit) => {
      const on = (mask >> bit) & 1;
      p *= on ? q : 1 - q;
      score += on;
    });
    distribution.set(score, (distribution.get(score) ?? 0) + p);
  }
  const expectedWin = (score: number) =>
    [...distribution].reduce((w, [s, p]) => w + p * (score > s ? 1 : score === s ? 0.5 : 0), 0);

  it('a perfect terse imitator wins about 0.31, the complete summary about 0.95', () => {
    // By hand: P(ref < 3) = 0.006084 + 0.095784, P(ref = 3) = 0.425044, P(ref = 5) = 0.7744 · 0.1225.
    expect(expectedWin(3)).toBeCloseTo(0.006084 + 0.095784 + 0.425044 / 2, 6);
    expect(expectedWin(5)).toBeCloseTo(1 - (0.7744 * 0.1225) / 2, 6);
    // 2000 held-out posts of another seed: sd ≤ sqrt(0.25 / 2000) ≈ 0.011; 4 sd.
    const { eval: posts } = generateLabDataset({ seed: 31, nTrain: 0, nEval: 2000 });
    const facts = posts.map((p) => p.facts);
    const references = posts.map((p) => p.reference_response);
    const terse = winRate(
      facts,
      posts.map((p) => formatSummaryForm(p.facts, TERSE_FORM)),
      references,
    );
    const oracle = winRate(
      facts,
      posts.map((p) => completeSummary(p.facts)),
      references,
    );
    expect(Math.abs(terse - expectedWin(3))).toBeLessThan(0.045);
    expect(Math.abs(oracle - expectedWin(5))).toBeLessThan(0.045);
  });

  it('no summary form beats the complete summary', () => {
    const { train } = generateLabDataset({ seed: 32, nTrain: 200, nEval: 0 });
    for (const { facts } of train) {
      const best = Math.max(
        ...allSummaryForms().map((f) => goldScore(facts, formatSummaryForm(facts, f)).score),
      );
      expect(best).toBe(5);
      expect(goldScore(facts, completeSummary(facts)).score).toBe(best);
    }
  });
});

describe('lab vocabulary', () => {
  it('has EOS at id 0, <unk> at 1, no duplicates, and a laptop-sized size', () => {
    expect(LAB_VOCAB[0]).toBe('<|endoftext|>');
    expect(LAB_VOCAB[1]).toBe('<unk>');
    expect(new Set(LAB_VOCAB).size).toBe(LAB_VOCAB.length);
    expect(LAB_VOCAB.length).toBeGreaterThanOrEqual(150);
    expect(LAB_VOCAB.length).toBeLessThanOrEqual(300);
  });

  it('contains every token of every prompt, reference, summary form and probe', () => {
    const vocab = new Set(LAB_VOCAB);
    const rng = createRng(5);
    const { train } = generateLabDataset({ seed: 21, nTrain: 800, nEval: 0 });
    const texts = train.flatMap((row) => [
      row.query,
      row.reference_response,
      randomFormSummary(row.facts, rng),
      ...offDistributionProbes(row.facts, rng).map((c) => c.text),
    ]);
    const missing = new Set(texts.flatMap(splitLabText).filter((token) => !vocab.has(token)));
    expect([...missing]).toEqual([]);
  });
});

describe('fact catalog', () => {
  const templates = [...TITLE_TEMPLATES, ...PROBLEM_SENTENCE_TEMPLATES].map((t) =>
    t.replace(/\{\w+\}/g, ' '),
  );
  const neutralTexts = [
    ...FILLERS,
    ...templates,
    GENERIC_SUBREDDIT,
    'what do i do',
    'SUBREDDIT r TITLE POST TL DR my',
  ];

  it('gives every keyword to exactly one fact option', () => {
    const options = [...SUBJECTS, ...PROBLEMS, ...TIMINGS, ...CONTEXTS, ...ASKS];
    const all = options.flatMap((fact) => fact.keywords);
    expect(new Set(all).size).toBe(all.length);
    for (const fact of options) {
      for (const keyword of fact.keywords) expect(fact.phrase.split(' ')).toContain(keyword);
    }
  });

  it('keeps keywords out of the neutral phrases and subreddit names', () => {
    const neutral = neutralTexts.flatMap(splitLabText).concat(SUBJECTS.map((s) => s.subreddit));
    expect(neutral.filter((token) => ALL_FACT_KEYWORDS.has(token))).toEqual([]);
  });
});
