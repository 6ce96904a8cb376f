/**
 * Closed-form optima against numerical optimisation (docs/theory.md § 2), and Proposition 1 as we
 * reconstruct it: entropy regularisation is KL regularisation toward the uniform policy, up to the
 * constant α·log|Y_x|.
 */
import { type CheckSpec, requireConverged } from './check-row.ts';
import { EXACT_TOLERANCE, OPTIMUM_TOLERANCE } from './check-settings.ts';
import { entropyRegularizedObjective, klRegularizedObjective, type SimplexObjective } from './objectives.ts';
import { klRegularizedOptimalPolicy, maxEntOptimalPolicy } from './optimal-policies.ts';
import { maximizeOverSimplex } from './simplex-optimizer.ts';
import { randomTabularProblem } from './tabular-problem.ts';
import { maxAbsDifference, softmax } from './vector-math.ts';

/** max(‖π_num − π_closed‖∞, |J(π_num) − J(π_closed)|) for one prompt. */
function closedFormGap(objective: SimplexObjective, closedForm: number[]): number {
  const numerical = maximizeOverSimplex(objective, closedForm.length);
  requireConverged(numerical, 'simplex optimisation');
  const valueGap = Math.abs(numerical.value - objective.value(closedForm));
  return Math.max(maxAbsDifference(numerical.policy, closedForm), valueGap);
}

export const maxEntClosedForm: CheckSpec = {
  id: 'MaxEnt',
  statement: 'MaxEnt optimum: argmax_π E_π[r] + αH(π) = softmax(r/α)',
  assumption: 'finite Y_x, α > 0',
  metric: 'max(|Δπ|, |ΔJ_ent|) vs Newton on the simplex',
  expectation: 'holds',
  tolerance: OPTIMUM_TOLERANCE,
  deviation(rng) {
    const problem = randomTabularProblem(rng);
    const alpha = rng.uniformBetween(0.2, 2);
    return Math.max(
      ...problem.prompts.map((p) =>
        closedFormGap(entropyRegularizedObjective(p.rewards, alpha), maxEntOptimalPolicy(p.rewards, alpha)),
      ),
    );
  },
};

export const klClosedForm: CheckSpec = {
  id: 'KL',
  statement: 'KL optimum: argmax_π E_π[r] − βKL(π‖π_ref) = π_ref·exp(r/β)/Z',
  assumption: 'finite Y_x, β > 0, π_ref > 0',
  metric: 'max(|Δπ|, |ΔJ_KL|) vs Newton on the simplex',
  expectation: 'holds',
  tolerance: OPTIMUM_TOLERANCE,
  deviation(rng) {
    const problem = randomTabularProblem(rng);
    const beta = rng.uniformBetween(0.2, 2);
    return Math.max(
      ...problem.prompts.map((p) =>
        closedFormGap(
          klRegularizedObjective(p.rewards, p.reference, beta),
          klRegularizedOptimalPolicy(p.rewards, p.reference, beta),
        ),
      ),
    );
  },
};

export const proposition1UniformReference: CheckSpec = {
  id: 'P1',
  statement: 'Prop. 1 (our reconstr.): J_ent(π) = J_KL(π; π_ref = uniform, β = α) + α log|Y_x|, same optimum',
  assumption: 'sequence-level uniform π_ref over Y_x',
  metric: 'max(|ΔJ| at random π, |Δπ*|)',
  expectation: 'holds',
  tolerance: EXACT_TOLERANCE,
  deviation(rng) {
    const problem = randomTabularProblem(rng);
    const alpha = rng.uniformBetween(0.2, 2);
    let worst = 0;
    for (const { rewards } of problem.prompts) {
      const n = rewards.length;
      const uniform = new Array<number>(n).fill(1 / n);
      const policy = softmax(rewards.map(() => 2 * rng.normal()));
      const entropyValue = entropyRegularizedObjective(rewards, alpha).value(policy);
      const klValue = klRegularizedObjective(rewards, uniform, alpha).value(policy) + alpha * Math.log(n);
      const optimumGap = maxAbsDifference(
        maxEntOptimalPolicy(rewards, alpha),
        klRegularizedOptimalPolicy(rewards, uniform, alpha),
      );
      worst = Math.max(worst, Math.abs(entropyValue - klValue), optimumGap);
    }
    return worst;
  },
};
