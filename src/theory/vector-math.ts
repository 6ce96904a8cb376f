/** Float64 vector helpers on plain number arrays, written for numerical stability. */

/** log Σ_i exp(v_i), shifted by the maximum so no term overflows. */
export function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** softmax(v)_i = exp(v_i − logSumExp(v)). */
export function softmax(values: readonly number[]): number[] {
  const normalizer = logSumExp(values);
  return values.map((v) => Math.exp(v - normalizer));
}

/** log softmax(v)_i = v_i − logSumExp(v). */
export function logSoftmax(values: readonly number[]): number[] {
  const normalizer = logSumExp(values);
  return values.map((v) => v - normalizer);
}

/** Σ_i a_i b_i. */
export function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Σ_i v_i. */
export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** max_i |a_i − b_i|. */
export function maxAbsDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Total-variation distance ½ Σ_i |p_i − q_i| between two distributions on the same support. */
export function totalVariation(p: readonly number[], q: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) total += Math.abs(p[i]! - q[i]!);
  return total / 2;
}

/** Logistic σ(z) = 1 / (1 + e^{−z}), evaluated without overflow for either sign of z. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log σ(z) = −log(1 + e^{−z}), stable for large |z|. */
export function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}
