/** Independent plain-JS float64 references and assertions shared by the tensor tests. */
import { expect } from 'vitest';

/** erf by its Maclaurin series (|x| ≤ 3: relative error < 1e-13 in float64). */
export function erf(x: number): number {
  if (Math.abs(x) > 3) throw new Error('reference erf: |x| ≤ 3 only');
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
export const geluExact = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const geluTanh = (x: number) =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

export function softmax(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
}

/** Asserts element-wise |a − e| ≤ atol + rtol·|e| and equal lengths. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol = 1e-6,
  rtol = 0,
): void {
  expect(actual.length, 'length').toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) expect.fail(`element ${i}: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Deterministic uniform [0, 1) stream for test data: the shared PRNG (tested in test/util/prng.test.ts). */
export { mulberry32 } from '../../src/util/prng.ts';
