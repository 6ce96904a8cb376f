/**
 * Side check, never in CI: PEFT loads our LoRA adapters and computes what we compute. Trains two
 * tiny LoRA runs on the lab data (sft: a CAUSAL_LM adapter on all four GPT-NeoX linears; rm: a
 * SEQ_CLS adapter with its score head), then runs scripts/reference/peft_side_check.py, which loads
 * each adapter with peft.PeftModel.from_pretrained on the base snapshot (transformers, float64), and
 * prints the largest differences from our outputs: adapted, adapters disabled, merged.
 *
 *   node bin/run-ts.mjs scripts/peft-side-check.ts PYTHON   # a python with torch, transformers, peft
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRm, runSft } from '../src/experiments/train.ts';
import {
  buildPreferenceDataset,
  generateLabDataset,
  LAB_FILES,
  writeLabTokenizerFiles,
  writePreferenceFile,
  writeSftFiles,
} from '../src/lab/task/index.ts';
import { initModel, loadCausalLM, loadRewardModel } from '../src/models/index.ts';
import { noGrad, tensor } from '../src/tensor/index.ts';
import { mulberry32 } from '../src/util/prng.ts';

const python = process.argv[2] ?? 'python3';
const root = mkdtempSync(join(tmpdir(), 'peft-check-'));
const quiet = { print: () => {}, log: () => {} };
try {
  const data = join(root, 'data');
  await writeLabTokenizerFiles(data);
  await writeSftFiles(data, generateLabDataset({ seed: 1, nTrain: 32, nEval: 8 }));
  await writePreferenceFile(data, 'train', buildPreferenceDataset({ seed: 1, nPairs: 16 }));
  await writePreferenceFile(data, 'eval', buildPreferenceDataset({ seed: 1, nPairs: 8, split: 'eval' }));
  const base = join(root, 'base');
  await initModel('pythia-tiny', base, {
    seed: 1,
    tokenizerJson: JSON.parse(readFileSync(join(data, 'tokenizer.json'), 'utf8')),
  });
  const lora = {
    r: 4,
    alpha: 16,
    dropout: 0.05,
    targetModules: ['query_key_value', 'dense', 'dense_h_to_4h', 'dense_4h_to_h'],
  };
  const common = {
    model: base,
    maxPromptTokens: 48,
    maxTotalTokens: 80,
    batchSize: 4,
    steps: 6,
    evalEvery: 0,
  };
  const optim = { lr: 2e-2, schedule: 'constant' as const };
  const sft = await runSft(
    { ...common, out: join(root, 'sft'), data: { train: join(data, LAB_FILES.sftTrain) }, optim, lora },
    { io: quiet },
  );
  // The reward model's adapter on all-linear (saved as the layer names PEFT expands it to).
  const rm = await runRm(
    {
      ...common,
      out: join(root, 'rm'),
      data: { train: join(data, LAB_FILES.preferenceTrain) },
      optim,
      lora: { ...lora, targetModules: 'all-linear' },
    },
    { io: quiet },
  );
  const next = mulberry32(5);
  const ids = Array.from({ length: 3 }, () => Array.from({ length: 12 }, () => 1 + Math.floor(next() * 150)));
  const mask = ids.map((r) => r.map(() => 1));
  const ours = await noGrad(async () => {
    const adapted = await loadCausalLM(join(sft, 'model'));
    const plain = await loadCausalLM(base);
    const reward = await loadRewardModel(join(rm, 'model'));
    const t = tensor(ids, { dtype: 'int64' });
    const m = tensor(mask, { dtype: 'int64' });
    const out = {
      causal: adapted.logits(t, m).toArray(),
      base: plain.logits(t, m).toArray(),
      reward: reward.rewards(t, m).toArray(),
    };
    for (const x of [adapted, plain, reward]) x.dispose();
    return out;
  });
  const jobs = [
    { kind: 'causal', base, adapter: join(sft, 'model'), input_ids: ids },
    { kind: 'seqcls', base, adapter: join(rm, 'model'), input_ids: ids },
  ];
  writeFileSync(join(root, 'jobs.json'), JSON.stringify(jobs));
  execFileSync(
    python,
    [
      join(import.meta.dirname, 'reference', 'peft_side_check.py'),
      join(root, 'jobs.json'),
      join(root, 'out.json'),
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const [causal, seqcls] = JSON.parse(readFileSync(join(root, 'out.json'), 'utf8')) as {
    adapted: number[];
    disabled: number[];
    merged: number[];
  }[];
  const diff = (a: number[], b: number[]) => {
    if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
    return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
  };
  const scale = (a: number[]) => Math.max(...a.map(Math.abs));
  const lines = [
    `CAUSAL_LM adapter (${lora.targetModules.join(', ')}; r ${lora.r}, alpha ${lora.alpha}), logits of 3×12 ids, |logit| up to ${scale(ours.causal).toFixed(2)}:`,
    `  PeftModel vs ours:                     max |Δ| ${diff(causal!.adapted, ours.causal).toExponential(2)}`,
    `  PeftModel adapters disabled vs base:   max |Δ| ${diff(causal!.disabled, ours.base).toExponential(2)}`,
    `  merge_and_unload vs ours:              max |Δ| ${diff(causal!.merged, ours.causal).toExponential(2)}`,
    `  adapters' effect (ours vs base):       max |Δ| ${diff(ours.causal, ours.base).toExponential(2)}`,
    `SEQ_CLS adapter (all-linear) with its score head (modules_to_save), rewards of the same rows: ours ${ours.reward.map((r) => r.toFixed(4)).join(', ')}`,
    `  PeftModel vs ours:                     max |Δ| ${diff(seqcls!.adapted, ours.reward).toExponential(2)}`,
    `  merge_and_unload vs ours:              max |Δ| ${diff(seqcls!.merged, ours.reward).toExponential(2)}`,
  ];
  console.log(lines.join('\n'));
} finally {
  rmSync(root, { recursive: true, force: true });
}
