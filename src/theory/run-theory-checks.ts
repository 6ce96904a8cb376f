/** Runs every theory check in the order of docs/theory.md and returns one row per statement. */
import { type CheckRow, evaluateCheck } from './check-row.ts';
import {
  lemma1BradleyTerry,
  lemma1LengthShiftControl,
  lemma1PlackettLuce,
  lemma2ConstantTemperature,
  lemma2LengthTemperature,
} from './lemma-checks.ts';
import { klClosedForm, maxEntClosedForm, proposition1UniformReference } from './optimum-checks.ts';
import {
  defaultPreferenceLossFactory,
  type PreferenceLossFactory,
  theorem1Checks,
} from './theorem-checks.ts';

export interface TheoryCheckOptions {
  /** Random instances per row. */
  instances: number;
  seed: number;
  /** The pairwise loss minimised in the Theorem-1 rows; float64 SimPO by default. */
  preferenceLoss?: PreferenceLossFactory;
}

export function runTheoryChecks(options: TheoryCheckOptions): CheckRow[] {
  if (!Number.isInteger(options.instances) || options.instances < 1)
    throw new Error('instances must be an integer ≥ 1');
  const specs = [
    lemma1BradleyTerry,
    lemma1PlackettLuce,
    lemma1LengthShiftControl,
    maxEntClosedForm,
    klClosedForm,
    proposition1UniformReference,
    lemma2ConstantTemperature,
    lemma2LengthTemperature,
    ...theorem1Checks(options.preferenceLoss ?? defaultPreferenceLossFactory),
  ];
  return specs.map((spec) => evaluateCheck(spec, { instances: options.instances, seed: options.seed }));
}
