/** The demo's data stages: the lab task written in the public TL;DR file layout. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateLabDataset,
  LAB_FILES,
  type LabFacts,
  type LabSftRow,
  writeLabTokenizerFiles,
  writeSftFiles,
} from '../task/index.ts';
import type { DemoConfig } from './config.ts';

/** The SFT files and the tokenizer; preference files come later, from SFT samples (`policy-preferences.ts`). */
export async function writeLabFiles(dir: string, cfg: DemoConfig): Promise<void> {
  const d = cfg.data;
  await writeSftFiles(dir, generateLabDataset({ seed: cfg.seed, nTrain: d.sftTrain, nEval: d.sftEval }));
  await writeLabTokenizerFiles(dir);
}

/** The rows of a lab .jsonl file with their judge facts; names the file and row of a bad one. */
export function readLabRows<Row extends { facts: LabFacts } = LabSftRow>(
  path: string,
  n = Number.POSITIVE_INFINITY,
): Row[] {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  return lines.slice(0, n).map((l, i) => {
    const row = JSON.parse(l) as Partial<Row>;
    if (!row.facts)
      throw new Error(`${path}: row ${i + 1}: field "facts" is missing (needed by the gold judge)`);
    return row as Row;
  });
}

/** The judge's structured facts of the first n evaluation posts (stored beside each row). */
export function readEvalFacts(dir: string, n: number): LabFacts[] {
  return readLabRows(join(dir, LAB_FILES.sftEval), n).map((row) => row.facts);
}
