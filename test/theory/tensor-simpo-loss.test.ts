/** The real (tensor) SimPO loss plugged into the theory seam agrees with the independent float64 one. */
import { describe, expect, it } from 'vitest';
import { createSimpoLoss, createTensorSimpoLoss, runTheoryChecks } from '../../src/theory/index.ts';

describe('tensor SimPO in the theory checks', () => {
  it('matches the float64 SimPO loss and gradients', () => {
    const args = [
      [-3.1, -7.2],
      [-4.0, -2.5],
      [3, 6],
      [2, 5],
    ] as const;
    const a = createSimpoLoss({ beta: 2, gamma: 0.5 })(
      ...(args.map((x) => [...x]) as [number[], number[], number[], number[]]),
    );
    const b = createTensorSimpoLoss({ beta: 2, gamma: 0.5 })(
      ...(args.map((x) => [...x]) as [number[], number[], number[], number[]]),
    );
    expect(b.loss).toBeCloseTo(a.loss, 12);
    for (const [i, g] of b.gradChosen.entries()) expect(g).toBeCloseTo(a.gradChosen[i]!, 12);
    for (const [i, g] of b.gradRejected.entries()) expect(g).toBeCloseTo(a.gradRejected[i]!, 12);
  });

  it('Theorem 1 rows give the same verdicts when minimising the project loss', () => {
    const rows = runTheoryChecks({ instances: 2, seed: 3, preferenceLoss: createTensorSimpoLoss });
    expect(rows.every((r) => r.pass)).toBe(true);
    expect(rows.find((r) => r.id === 'T1-equal')!.maxDeviation).toBeLessThan(1e-6);
    expect(rows.find((r) => r.id === 'T1-policy')!.minDeviation).toBeGreaterThan(1e-3);
  });
});
