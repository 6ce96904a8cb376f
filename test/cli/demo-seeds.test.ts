/** `demo --seeds`: parsing, the per-preset defaults and the seed folders. */
import { describe, expect, it } from 'vitest';
import { defaultSeeds, parseSeeds, seedFolder } from '../../src/cli/commands/demo.ts';

describe('demo --seeds', () => {
  it('parses a comma-separated list', () => {
    expect(parseSeeds('1,2,3')).toEqual([1, 2, 3]);
    expect(parseSeeds(' 7 , 0')).toEqual([7, 0]);
  });
  it('names the bad entry', () => {
    expect(() => parseSeeds('1,x')).toThrow(/--seeds: "x" is not a non-negative integer/);
    expect(() => parseSeeds('1,,2')).toThrow(/--seeds: "" is not/);
    expect(() => parseSeeds('1.5')).toThrow(/"1.5"/);
    expect(() => parseSeeds('2,2')).toThrow(/repeats a seed/);
  });
  it('runs three seeds by default and one for --quick and --smoke', () => {
    expect(defaultSeeds('default')).toEqual([1, 2, 3]);
    expect(defaultSeeds('quick')).toHaveLength(1);
    expect(defaultSeeds('smoke')).toHaveLength(1);
    expect(seedFolder('runs/demo', 2)).toBe('runs/demo/seed-2');
  });
});
