/**
 * The two regularised one-prompt objectives and their gradients with respect to π (a point of the
 * simplex), used by the numerical optimiser to cross-check the closed forms in optimal-policies.ts.
 */
import { entropy, klDivergence } from './information.ts';
import { dot } from './vector-math.ts';

/** A concave objective on the simplex: its value and ∂J/∂π(y) at π. */
export interface SimplexObjective {
  value(policy: readonly number[]): number;
  gradient(policy: readonly number[]): number[];
}

/** J_ent(π) = E_{y∼π}[r(x,y)] + α·H(π(·|x)); ∂J/∂π(y) = r(y) − α(log π(y) + 1). */
export function entropyRegularizedObjective(rewards: readonly number[], alpha: number): SimplexObjective {
  return {
    value: (p) => dot(p, rewards) + alpha * entropy(p),
    gradient: (p) => rewards.map((r, y) => r - alpha * (Math.log(p[y]!) + 1)),
  };
}

/**
 * J_KL(π) = E_{y∼π}[r(x,y)] − β·KL(π(·|x) ‖ π_ref(·|x));
 * ∂J/∂π(y) = r(y) − β(log(π(y)/π_ref(y)) + 1).
 */
export function klRegularizedObjective(
  rewards: readonly number[],
  reference: readonly number[],
  beta: number,
): SimplexObjective {
  return {
    value: (p) => dot(p, rewards) - beta * klDivergence(p, reference),
    gradient: (p) => rewards.map((r, y) => r - beta * (Math.log(p[y]! / reference[y]!) + 1)),
  };
}
