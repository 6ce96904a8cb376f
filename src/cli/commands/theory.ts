/** `maxent-rlhf theory`: runs the exact checks of src/theory and prints the table. */
import { formatTheoryTable, runTheoryChecks } from '../../theory/index.ts';

export function runTheory(opts: { instances: number; seed: number; json?: boolean }): void {
  const rows = runTheoryChecks({ instances: opts.instances, seed: opts.seed });
  console.log(opts.json ? JSON.stringify(rows, null, 2) : formatTheoryTable(rows));
}
