/**
 * Closed-form optima of the regularised one-prompt objectives (theory notes §§ "KL-regularized RL",
 * "Maximum-Entropy RL"). Each acts on one prompt's response set; `mapPrompts` lifts it to a problem.
 */
import type { PromptResponses, TabularPolicy, TabularProblem } from './tabular-problem.ts';
import { logSumExp, softmax } from './vector-math.ts';

/** MaxEnt optimum (notes, MaxEnt eq.): π*(y|x) = exp(r(x,y)/α) / Z(x), i.e. softmax(r/α). */
export function maxEntOptimalPolicy(rewards: readonly number[], alpha: number): number[] {
  assertPositive(alpha, 'alpha');
  return softmax(rewards.map((r) => r / alpha));
}

/** log Z(x) = log Σ_y exp(r(x,y)/α), the MaxEnt log-partition function. */
export function maxEntLogPartition(rewards: readonly number[], alpha: number): number {
  return logSumExp(rewards.map((r) => r / alpha));
}

/** KL optimum (notes, KL eq.): π*(y|x) = π_ref(y|x) exp(r(x,y)/β) / Z(x). */
export function klRegularizedOptimalPolicy(
  rewards: readonly number[],
  reference: readonly number[],
  beta: number,
): number[] {
  assertPositive(beta, 'beta');
  return softmax(rewards.map((r, y) => Math.log(reference[y]!) + r / beta));
}

/**
 * The notes' reading of "MaxEnt with temperature α_y = β/|y|": the Gibbs policy
 * π(y|x) = exp(r(x,y)/α_y) / Z_β(x) = exp(|y|·r(x,y)/β) / Σ_y' exp(|y'|·r(x,y')/β).
 */
export function lengthTemperedGibbsPolicy(
  rewards: readonly number[],
  lengths: readonly number[],
  beta: number,
): number[] {
  assertPositive(beta, 'beta');
  return softmax(rewards.map((r, y) => (lengths[y]! * r) / beta));
}

/** log Z_β(x) = log Σ_y exp(|y|·r(x,y)/β), the normaliser of `lengthTemperedGibbsPolicy`. */
export function lengthTemperedLogPartition(
  rewards: readonly number[],
  lengths: readonly number[],
  beta: number,
): number {
  return logSumExp(rewards.map((r, y) => (lengths[y]! * r) / beta));
}

/** Unregularised optimum: all mass on argmax_y r(x, y), split evenly between exact ties. */
export function unregularizedOptimalPolicy(rewards: readonly number[]): number[] {
  const best = Math.max(...rewards);
  const winners = rewards.filter((r) => r === best).length;
  return rewards.map((r) => (r === best ? 1 / winners : 0));
}

/** Applies a one-prompt policy rule to every prompt of a problem. */
export function mapPrompts(
  problem: TabularProblem,
  rule: (prompt: PromptResponses) => number[],
): TabularPolicy {
  return problem.prompts.map(rule);
}

function assertPositive(value: number, name: string): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`${name} must be a positive finite number`);
}
