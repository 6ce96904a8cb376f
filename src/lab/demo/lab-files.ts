/** The demo's data stage: the lab task written in the public TL;DR file layout. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildPreferenceDataset,
  generateLabDataset,
  LAB_FILES,
  type LabFacts,
  writeLabTokenizerFiles,
  writePreferenceFile,
  writeSftFiles,
} from '../task/index.ts';
import type { DemoConfig } from './config.ts';

export async function writeLabFiles(dir: string, cfg: DemoConfig): Promise<void> {
  const d = cfg.data;
  await writeSftFiles(dir, generateLabDataset({ seed: cfg.seed, nTrain: d.sftTrain, nEval: d.sftEval }));
  await writePreferenceFile(
    dir,
    'train',
    buildPreferenceDataset({ seed: cfg.seed, nPairs: d.preferencePairs, temperature: d.labelTemperature }),
  );
  await writePreferenceFile(
    dir,
    'eval',
    buildPreferenceDataset({
      seed: cfg.seed,
      nPairs: d.preferenceEval,
      temperature: d.labelTemperature,
      split: 'eval',
    }),
  );
  await writeLabTokenizerFiles(dir);
}

/** The judge's structured facts of the first n evaluation posts (stored beside each row). */
export function readEvalFacts(dir: string, n: number): LabFacts[] {
  const lines = readFileSync(join(dir, LAB_FILES.sftEval), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  return lines.slice(0, n).map((l, i) => {
    const facts = (JSON.parse(l) as { facts?: LabFacts }).facts;
    if (!facts)
      throw new Error(
        `${join(dir, LAB_FILES.sftEval)}: row ${i + 1}: field "facts" is missing (needed by the gold judge)`,
      );
    return facts;
  });
}
