/**
 * Checks of Lemma 1 (equivalence classes under BT and PL) and of Lemma 2 as we reconstruct it
 * (the regularised optimum depends on r only through its class), each with the control that shows
 * what breaks when the shift depends on y or the temperature on |y| (docs/theory.md §§ 3–4).
 */
import type { CheckSpec } from './check-row.ts';
import { EXACT_TOLERANCE, OBJECTION_THRESHOLD, SHIFT_SCALE, SIMPO_BETA } from './check-settings.ts';
import { lengthTemperedGibbsPolicy, maxEntOptimalPolicy } from './optimal-policies.ts';
import { bradleyTerryProbability, plackettLuceDistribution } from './preference-models.ts';
import type { Prng } from './prng.ts';
import { randomTabularProblem, shiftRewards, type TabularProblem } from './tabular-problem.ts';
import { maxAbsDifference } from './vector-math.ts';

/** A prompt-level shift f(x) with |f| ≥ 1, so a check can never pass because f happened to be ≈ 0. */
export function randomPromptShift(rng: Prng): number {
  const magnitude = 1 + SHIFT_SCALE * Math.abs(rng.normal());
  return rng.uniform() < 0.5 ? -magnitude : magnitude;
}

/** max over prompts and ordered pairs of |P_BT(y_w ≻ y_l; a) − P_BT(y_w ≻ y_l; b)|. */
function bradleyTerryDistance(a: TabularProblem, b: TabularProblem): number {
  let worst = 0;
  a.prompts.forEach((p, x) => {
    const q = b.prompts[x]!;
    for (let w = 0; w < p.rewards.length; w++) {
      for (let l = 0; l < p.rewards.length; l++) {
        const pa = bradleyTerryProbability(p.rewards[w]!, p.rewards[l]!);
        const pb = bradleyTerryProbability(q.rewards[w]!, q.rewards[l]!);
        worst = Math.max(worst, Math.abs(pa - pb));
      }
    }
  });
  return worst;
}

export const lemma1BradleyTerry: CheckSpec = {
  id: 'L1-BT',
  statement: "Lemma 1 (BT): r and r' = r + f(x) give the same P(y_w ≻ y_l | x)",
  assumption: 'f depends on x only',
  metric: 'max |ΔP| over prompts and pairs',
  expectation: 'holds',
  tolerance: EXACT_TOLERANCE,
  deviation(rng) {
    const problem = randomTabularProblem(rng);
    const shifts = problem.prompts.map(() => randomPromptShift(rng));
    return bradleyTerryDistance(
      problem,
      shiftRewards(problem, (x) => shifts[x]!),
    );
  },
};

export const lemma1PlackettLuce: CheckSpec = {
  id: 'L1-PL',
  statement: 'Lemma 1 (PL): r and r + f(x) give the same P(τ | x) for all rankings τ, sizes 2..5',
  assumption: 'f depends on x only',
  metric: 'max |ΔP(τ)| over all n! rankings, n = 2..5',
  expectation: 'holds',
  tolerance: EXACT_TOLERANCE,
  deviation(rng) {
    let worst = 0;
    for (let size = 2; size <= 5; size++) {
      const rewards = Array.from({ length: size }, () => rng.normal());
      const shift = randomPromptShift(rng);
      const shifted = rewards.map((r) => r + shift);
      worst = Math.max(
        worst,
        maxAbsDifference(plackettLuceDistribution(rewards), plackettLuceDistribution(shifted)),
      );
    }
    return worst;
  },
};

export const lemma1LengthShiftControl: CheckSpec = {
  id: 'L1-ctrl',
  statement: 'Control: a shift f(x, y) = c(x)·β/|y|, the form of α_y·log Z(x), changes the BT preferences',
  assumption: 'shift depends on |y| (unequal lengths)',
  metric: 'max |ΔP| over prompts and pairs',
  expectation: 'deviates',
  tolerance: OBJECTION_THRESHOLD,
  holdsOnlyUnder: 'an x-only shift',
  deviation(rng) {
    const problem = randomTabularProblem(rng, { lengths: 'unequal' });
    const scales = problem.prompts.map(() => randomPromptShift(rng));
    const shifted = shiftRewards(
      problem,
      (x, y) => (scales[x]! * SIMPO_BETA) / problem.prompts[x]!.lengths[y]!,
    );
    return bradleyTerryDistance(problem, shifted);
  },
};

/** max over prompts and responses of |log π_a(y|x) − log π_b(y|x)|. */
function logPolicyDistance(a: number[][], b: number[][]): number {
  return Math.max(...a.map((row, x) => maxAbsDifference(row.map(Math.log), b[x]!.map(Math.log))));
}

export const lemma2ConstantTemperature: CheckSpec = {
  id: 'L2-const',
  statement: 'Lemma 2 (our reconstr.): the MaxEnt optimum softmax(r/α) is the same for r and r + f(x)',
  assumption: 'one temperature α per prompt',
  metric: 'max |Δ log π*|',
  expectation: 'holds',
  tolerance: EXACT_TOLERANCE,
  deviation(rng) {
    const problem = randomTabularProblem(rng);
    const shifts = problem.prompts.map(() => randomPromptShift(rng));
    const alpha = rng.uniformBetween(0.2, 2);
    const shifted = shiftRewards(problem, (x) => shifts[x]!);
    const policy = (p: TabularProblem) => p.prompts.map((q) => maxEntOptimalPolicy(q.rewards, alpha));
    return logPolicyDistance(policy(problem), policy(shifted));
  },
};

export const lemma2LengthTemperature: CheckSpec = {
  id: 'L2-len',
  statement: 'Lemma 2 with α_y = β/|y|: the Gibbs policy ∝ exp(|y| r/β) is the same for r and r + f(x)',
  assumption: 'unequal lengths within a prompt',
  metric: 'max |Δ log π*|',
  expectation: 'deviates',
  tolerance: OBJECTION_THRESHOLD,
  holdsOnlyUnder: 'equal lengths / constant α',
  deviation(rng) {
    const problem = randomTabularProblem(rng, { lengths: 'unequal' });
    const shifts = problem.prompts.map(() => randomPromptShift(rng));
    const shifted = shiftRewards(problem, (x) => shifts[x]!);
    const policy = (p: TabularProblem) =>
      p.prompts.map((q) => lengthTemperedGibbsPolicy(q.rewards, q.lengths, SIMPO_BETA));
    return logPolicyDistance(policy(problem), policy(shifted));
  },
};
