import { describe, expect, it } from 'vitest';
import {
  ALL_FACT_KEYWORDS,
  ASKS,
  createRng,
  EOS_TOKEN,
  FAITHFUL_STYLES,
  FILLERS,
  FLAWED_REFERENCE_PROBABILITY,
  GENERIC_SUBREDDIT,
  generateLabDataset,
  goldScore,
  LAB_VOCAB,
  MAX_PROMPT_TOKENS,
  makeCandidates,
  PROBLEM_SENTENCE_TEMPLATES,
  PROBLEMS,
  referenceSummary,
  SITUATIONS,
  SUBJECTS,
  splitLabText,
  TITLE_TEMPLATES,
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
      expect(referenceTokens.length).toBeLessThanOrEqual(12);
      const styles = ['plain', 'my', 'vague-ask', 'no-subject'] as const;
      expect(styles.map((style) => referenceSummary(facts, style))).toContain(reference);
    }
  });

  it('flaws about one reference in five by leaving a fact out', () => {
    const faithful = (row: (typeof rows)[number]) =>
      FAITHFUL_STYLES.some((style) => referenceSummary(row.facts, style) === row.reference_response);
    const flawed = rows.filter((row) => !faithful(row)).length / rows.length;
    // 700 rows: sd sqrt(0.2 * 0.8 / 700) ≈ 0.015; 4 sd.
    expect(Math.abs(flawed - FLAWED_REFERENCE_PROBABILITY)).toBeLessThan(0.06);
    for (const row of rows)
      expect(goldScore(row.facts, row.reference_response).score).toBe(faithful(row) ? 3 : 2);
  });

  it('spells out a known post by hand', () => {
    const facts = { subject: 'roommate', problem: 'eats-food', ask: 'move-out', situation: null };
    expect(referenceSummary(facts)).toBe(' roommate eats my food , should i move out ?<|endoftext|>');
    expect(referenceSummary(facts, 'my')).toBe(
      ' my roommate eats my food . should i move out ?<|endoftext|>',
    );
    expect(referenceSummary(facts, 'vague-ask')).toBe(' roommate eats my food , what do i do ?<|endoftext|>');
    expect(referenceSummary(facts, 'no-subject')).toBe(' eats my food , should i move out ?<|endoftext|>');
  });

  it('uses the whole grammar over a few hundred posts', () => {
    const used = (key: 'subject' | 'problem' | 'ask') => new Set(rows.map((row) => row.facts[key]));
    expect(used('subject').size).toBe(SUBJECTS.length);
    expect(used('problem').size).toBe(PROBLEMS.length);
    expect(used('ask').size).toBe(ASKS.length);
    const fillerCounts = rows.map((row) => FILLERS.filter((f) => row.query.includes(`${f} .`)).length);
    expect(new Set(fillerCounts)).toEqual(new Set([0, 1, 2]));
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

  it('contains every token of every prompt, reference and candidate', () => {
    const vocab = new Set(LAB_VOCAB);
    const rng = createRng(5);
    const { train } = generateLabDataset({ seed: 21, nTrain: 800, nEval: 0 });
    const texts = train.flatMap((row) => [
      row.query,
      row.reference_response,
      ...makeCandidates(row.facts, rng).map((c) => c.text),
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
    ...SITUATIONS,
    ...FILLERS,
    ...templates,
    GENERIC_SUBREDDIT,
    'what do i do',
    'SUBREDDIT r TITLE POST TL DR my',
  ];

  it('gives every keyword to exactly one fact option', () => {
    const all = [...SUBJECTS, ...PROBLEMS, ...ASKS].flatMap((fact) => fact.keywords);
    expect(new Set(all).size).toBe(all.length);
    for (const fact of [...SUBJECTS, ...PROBLEMS, ...ASKS]) {
      for (const keyword of fact.keywords) expect(fact.phrase.split(' ')).toContain(keyword);
    }
  });

  it('keeps keywords out of the neutral phrases and subreddit names', () => {
    const neutral = neutralTexts.flatMap(splitLabText).concat(SUBJECTS.map((s) => s.subreddit));
    expect(neutral.filter((token) => ALL_FACT_KEYWORDS.has(token))).toEqual([]);
  });
});
