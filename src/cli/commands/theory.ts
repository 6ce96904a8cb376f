/**
 * `maxent-rlhf theory`: runs the exact checks of src/theory and prints the table. The Theorem-1
 * rows minimise the project's own SimPO loss (src/losses, through libtorch autograd) by default.
 */
import {
  createSimpoLoss,
  createTensorSimpoLoss,
  formatTheoryTable,
  runTheoryChecks,
} from '../../theory/index.ts';

export function runTheory(opts: {
  instances: number;
  seed: number;
  json?: boolean;
  loss: 'tensor' | 'float64';
}): void {
  const preferenceLoss = opts.loss === 'float64' ? createSimpoLoss : createTensorSimpoLoss;
  const rows = runTheoryChecks({ instances: opts.instances, seed: opts.seed, preferenceLoss });
  console.log(opts.json ? JSON.stringify(rows, null, 2) : formatTheoryTable(rows));
}
