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

/**
 * Length-weighted MaxEnt objective, with per-response temperature α_y = β/|y|
 * (docs/theory.md § 6, our reconstruction for unequal lengths):
 *   J_len(π) = E_π[r(x,y) + b·α_y] + E_π[−α_y·log π(y|x)],  b = 1 with the length bonus, 0 without;
 *   ∂J/∂π(y) = r(y) + b·α_y − α_y(log π(y) + 1).
 * Its maximiser satisfies α_y·log π(y) = r(y) + (b − 1)·α_y − λ(x): with b = 1 the implicit rewards
 * differ from r by a prompt constant only; with b = 0 by −α_y as well.
 */
export function lengthWeightedEntropyObjective(
  rewards: readonly number[],
  lengths: readonly number[],
  beta: number,
  lengthBonus: boolean,
): SimplexObjective {
  const temperatures = lengths.map((l) => beta / l);
  const bonus = lengthBonus ? 1 : 0;
  return {
    value: (p) =>
      p.reduce((acc, py, y) => {
        const t = temperatures[y]!;
        return acc + py * (rewards[y]! + bonus * t) - (py > 0 ? t * py * Math.log(py) : 0);
      }, 0),
    gradient: (p) =>
      rewards.map((r, y) => r + bonus * temperatures[y]! - temperatures[y]! * (Math.log(p[y]!) + 1)),
  };
}
