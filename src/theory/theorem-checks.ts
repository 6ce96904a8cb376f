/**
 * Theorem 1 (SimPO as MaxEnt RL with α = β/|y|), checked by minimising the population preference
 * loss over tabular policies and comparing the minimiser with the MaxEnt-side closed forms
 * (docs/theory.md §§ 5–7). The loss is pluggable: any `PreferenceLossFn` factory of (β, γ).
 */
import { type CheckSpec, requireConverged } from './check-row.ts';
import { OBJECTION_THRESHOLD, OPTIMUM_TOLERANCE, SIMPO_BETA, SIMPO_GAMMA } from './check-settings.ts';
import { lengthWeightedEntropyObjective } from './objectives.ts';
import { lengthTemperedGibbsPolicy, maxEntOptimalPolicy } from './optimal-policies.ts';
import { createSimpoLoss, type PreferenceLossFn, simpoImplicitReward } from './preference-loss.ts';
import { bradleyTerryProbability } from './preference-models.ts';
import { minimizePopulationPreferenceLoss } from './preference-population.ts';
import { maximizeOverSimplex } from './simplex-optimizer.ts';
import { twoResponseMarginOptimum, unitPartitionPolicy } from './simpo-closed-forms.ts';
import { randomTabularProblem, type TabularProblem } from './tabular-problem.ts';
import { maxAbsDifference } from './vector-math.ts';

/** Builds the pairwise loss for given (β, γ); the default is the float64 SimPO loss. */
export type PreferenceLossFactory = (hyper: { beta: number; gamma: number }) => PreferenceLossFn;

export const defaultPreferenceLossFactory: PreferenceLossFactory = createSimpoLoss;

/** SimPO implicit rewards s(x, y) = (β/|y|)·log π(y|x) of a tabular log-policy. */
export function implicitRewards(problem: TabularProblem, logPolicy: number[][], beta: number): number[][] {
  return problem.prompts.map((p, x) =>
    logPolicy[x]!.map((lp, y) => simpoImplicitReward(lp, p.lengths[y]!, beta)),
  );
}

/** max over prompts and ordered pairs of |(a_w − a_l) − (b_w − b_l)|. */
export function pairwiseDifferenceGap(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, x) => {
    const other = b[x]!;
    for (let w = 0; w < row.length; w++) {
      for (let l = 0; l < row.length; l++) {
        worst = Math.max(worst, Math.abs(row[w]! - row[l]! - (other[w]! - other[l]!)));
      }
    }
  });
  return worst;
}

function logPolicyGap(a: number[][], b: number[][]): number {
  return Math.max(...a.map((row, x) => maxAbsDifference(row, b[x]!)));
}

function rewardsOf(problem: TabularProblem): number[][] {
  return problem.prompts.map((p) => p.rewards);
}

/** The tabular minimiser's log π of the population loss with margin γ; throws if not converged. */
function preferenceMinimizer(
  problem: TabularProblem,
  factory: PreferenceLossFactory,
  gamma: number,
): number[][] {
  const minimum = minimizePopulationPreferenceLoss(problem, factory({ beta: SIMPO_BETA, gamma }));
  requireConverged(minimum, 'population preference-loss minimisation');
  return minimum.logPolicy;
}

/** Numerical maximiser (log π) of the length-weighted MaxEnt objective, per prompt. */
function lengthWeightedMaxEnt(problem: TabularProblem, beta: number, lengthBonus: boolean): number[][] {
  return problem.prompts.map((p) => {
    const optimum = maximizeOverSimplex(
      lengthWeightedEntropyObjective(p.rewards, p.lengths, beta, lengthBonus),
      p.rewards.length,
    );
    requireConverged(optimum, 'length-weighted MaxEnt maximisation');
    return optimum.policy.map(Math.log);
  });
}

/** All Theorem-1 rows, with the loss built by `factory`. */
export function theorem1Checks(factory: PreferenceLossFactory = defaultPreferenceLossFactory): CheckSpec[] {
  const beta = SIMPO_BETA;
  return [
    {
      id: 'T1-equal',
      statement: 'Thm 1: SimPO minimiser = softmax(r/α), α = β/L, and its Δ(β/|y|)log π = Δr',
      assumption: 'equal lengths L(x) within each prompt, γ = 0',
      metric: 'max(|Δs − Δr|, |Δ log π|)',
      expectation: 'holds',
      tolerance: OPTIMUM_TOLERANCE,
      deviation(rng) {
        const problem = randomTabularProblem(rng, { lengths: 'equal' });
        const logPolicy = preferenceMinimizer(problem, factory, 0);
        const maxEnt = problem.prompts.map((p) =>
          maxEntOptimalPolicy(p.rewards, beta / p.lengths[0]!).map(Math.log),
        );
        const rewardGap = pairwiseDifferenceGap(
          implicitRewards(problem, logPolicy, beta),
          rewardsOf(problem),
        );
        return Math.max(rewardGap, logPolicyGap(logPolicy, maxEnt));
      },
    },
    {
      id: 'T1-repr',
      statement:
        'Thm 1 (our reconstr.): minimiser = exp(|y|(r + c(x))/β), c(x) the Z = 1 member of the class',
      assumption: 'unequal lengths, γ = 0, tabular (realisable) policy',
      metric: 'max(|Δs − Δr|, |Δ log π|)',
      expectation: 'holds',
      tolerance: OPTIMUM_TOLERANCE,
      deviation(rng) {
        const problem = randomTabularProblem(rng, { lengths: 'unequal' });
        const logPolicy = preferenceMinimizer(problem, factory, 0);
        const closed = problem.prompts.map((p) =>
          unitPartitionPolicy(p.rewards, p.lengths, beta).map(Math.log),
        );
        const rewardGap = pairwiseDifferenceGap(
          implicitRewards(problem, logPolicy, beta),
          rewardsOf(problem),
        );
        return Math.max(rewardGap, logPolicyGap(logPolicy, closed));
      },
    },
    {
      id: 'T1-wMaxEnt',
      statement:
        'Thm 1 (our reconstr.): minimiser = argmax E_π[r + α_y] + E_π[−α_y log π], α_y = β/|y| (numerical vs numerical)',
      assumption: 'unequal lengths, γ = 0, reward bonus α_y = β/|y|',
      metric: 'max |Δ log π|',
      expectation: 'holds',
      tolerance: OPTIMUM_TOLERANCE,
      deviation(rng) {
        const problem = randomTabularProblem(rng, { lengths: 'unequal' });
        return logPolicyGap(
          preferenceMinimizer(problem, factory, 0),
          lengthWeightedMaxEnt(problem, beta, true),
        );
      },
    },
    {
      id: 'T1-policy',
      statement: 'Thm 1 as read in the notes: SimPO minimiser = MaxEnt policy exp(|y| r/β)/Z(x)',
      assumption: 'unequal lengths, γ = 0',
      metric: 'max |log π_SimPO − log π*|',
      expectation: 'deviates',
      tolerance: OBJECTION_THRESHOLD,
      holdsOnlyUnder: 'equal lengths / constant α',
      deviation(rng) {
        const problem = randomTabularProblem(rng, { lengths: 'unequal' });
        const logPolicy = preferenceMinimizer(problem, factory, 0);
        const gibbs = problem.prompts.map((p) =>
          lengthTemperedGibbsPolicy(p.rewards, p.lengths, beta).map(Math.log),
        );
        return logPolicyGap(logPolicy, gibbs);
      },
    },
    {
      id: 'T1-residual',
      statement: 'BT cancellation at that π*: Δ(β/|y|)log π* = Δr (residual −(α_w − α_l)·log Z(x))',
      assumption: 'unequal lengths (α_y = β/|y| not constant)',
      metric: 'max |Δs − Δr| at π*',
      expectation: 'deviates',
      tolerance: OBJECTION_THRESHOLD,
      holdsOnlyUnder: 'equal lengths / constant α',
      deviation(rng) {
        const problem = randomTabularProblem(rng, { lengths: 'unequal' });
        const gibbs = problem.prompts.map((p) =>
          lengthTemperedGibbsPolicy(p.rewards, p.lengths, beta).map(Math.log),
        );
        return pairwiseDifferenceGap(implicitRewards(problem, gibbs, beta), rewardsOf(problem));
      },
    },
    {
      id: 'T1-wMaxEnt-0',
      statement: 'Same without the bonus: argmax E_π[r] + E_π[−α_y log π] has Δ(β/|y|)log π = Δr',
      assumption: 'unequal lengths (residual −(α_w − α_l))',
      metric: 'max |Δs − Δr| at that argmax',
      expectation: 'deviates',
      tolerance: OBJECTION_THRESHOLD,
      holdsOnlyUnder: 'equal lengths / constant α',
      deviation(rng) {
        const problem = randomTabularProblem(rng, { lengths: 'unequal' });
        const logPolicy = lengthWeightedMaxEnt(problem, beta, false);
        return pairwiseDifferenceGap(implicitRewards(problem, logPolicy, beta), rewardsOf(problem));
      },
    },
    {
      id: 'T1-margin',
      statement: `Margin: the γ = ${SIMPO_GAMMA} minimiser has the same Δs as the γ = 0 one (= Δr)`,
      assumption: `γ = ${SIMPO_GAMMA} > 0 (MaxEnt optimum does not depend on γ)`,
      metric: 'max |Δs_γ − Δs_0|',
      expectation: 'deviates',
      tolerance: OBJECTION_THRESHOLD,
      holdsOnlyUnder: 'γ = 0',
      deviation(rng) {
        const problem = randomTabularProblem(rng, { lengths: 'unequal' });
        const withMargin = implicitRewards(problem, preferenceMinimizer(problem, factory, SIMPO_GAMMA), beta);
        const without = implicitRewards(problem, preferenceMinimizer(problem, factory, 0), beta);
        return pairwiseDifferenceGap(withMargin, without);
      },
    },
    {
      id: 'T1-margin-cf',
      statement: 'Margin, 2 responses: minimiser Δs = log u, (1−p)u² + e^γ(1−2p)u − p = 0',
      assumption: `|Y_x| = 2, γ = ${SIMPO_GAMMA}, any lengths`,
      metric: '|Δs − closed form|',
      expectation: 'holds',
      tolerance: OPTIMUM_TOLERANCE,
      deviation(rng) {
        const problem = randomTabularProblem(rng, { lengths: 'unequal', minResponses: 2, maxResponses: 2 });
        const s = implicitRewards(problem, preferenceMinimizer(problem, factory, SIMPO_GAMMA), beta);
        return Math.max(
          ...problem.prompts.map((p, x) => {
            const preference = bradleyTerryProbability(p.rewards[0]!, p.rewards[1]!);
            return Math.abs(s[x]![0]! - s[x]![1]! - twoResponseMarginOptimum(preference, SIMPO_GAMMA));
          }),
        );
      },
    },
  ];
}
