/**
 * Prints the estimator × regularizer table of docs/estimators.md: for each cell, the real
 * trainOnline loop on the one-step bandit (test/trainers/estimator-bandit.ts), and the total-
 * variation distance of the final policy to the optimum of the objective the cell optimises
 * (and, in parentheses, to the optimum the config names when the two differ).
 *   node bin/run-ts.mjs scripts/bandit-table.ts [--seed N]     (≈ 88 runs, a few minutes)
 */
import {
  DEFAULT_TRAIN,
  ESTIMATORS,
  nominalOf,
  REGULARIZERS,
  targetOf,
  totalVariation,
  trainCell,
} from '../test/trainers/estimator-bandit.ts';

const seedArg = process.argv.indexOf('--seed');
const seed = seedArg > 0 ? Number(process.argv[seedArg + 1]) : DEFAULT_TRAIN.seed;
const header = `| estimator | ${REGULARIZERS.map((r) => r.name).join(' | ')} |`;
const lines = [header, `| --- |${REGULARIZERS.map(() => ' --- |').join('')}`];
for (const e of ESTIMATORS) {
  const cells: string[] = [];
  for (const r of REGULARIZERS) {
    const p = await trainCell(e, r, { ...DEFAULT_TRAIN, seed });
    const target = targetOf(e, r);
    const nominal = totalVariation(p, nominalOf(r));
    if (target === null) cells.push(`— (${nominal.toFixed(3)})`);
    else {
      const tv = totalVariation(p, target);
      cells.push(Math.abs(tv - nominal) < 5e-4 ? tv.toFixed(3) : `${tv.toFixed(3)} (${nominal.toFixed(3)})`);
    }
    process.stderr.write('.');
  }
  lines.push(`| ${e.name} | ${cells.join(' | ')} |`);
}
process.stderr.write('\n');
console.log(
  `seed ${seed}, ${DEFAULT_TRAIN.steps} steps × ${DEFAULT_TRAIN.responses} responses, lr ${DEFAULT_TRAIN.lr}\n`,
);
console.log(lines.join('\n'));
