/**
 * `maxent-rlhf merge`: a base snapshot plus a LoRA adapter folder (PEFT's layout) → a full HF
 * snapshot with W + (alpha/r)·B·A in every adapted layer (PEFT's merge_and_unload). A CAUSAL_LM
 * adapter gives a GPTNeoXForCausalLM, a SEQ_CLS one a reward model (its score head from
 * modules_to_save, its reward normalisation copied).
 */
import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dispose, keep, zeros } from '../../tensor/index.ts';
import { REWARD_NORMALIZATION_FILE, TOKENIZER_FILES } from '../gptneox/snapshot-files.ts';
import { isAdapterFolder, mergeAdapter, readAdapterConfig, readAdapterWeights } from '../lora/index.ts';
import { causalLMFor, headNames, rewardModelFor } from '../model-family.ts';
import { loadConfig, loadStateDict } from './load-model.ts';

export interface MergeAdapterArgs {
  /** The base snapshot folder (the adapter's base_model_name_or_path, normally). */
  base: string;
  /** The adapter folder (adapter_config.json + adapter_model.safetensors). */
  adapter: string;
  /** Where the merged snapshot goes (created). */
  out: string;
  /** Storage dtype of the merged weights (default: the base's, read as float32). */
  dtype?: 'float32' | 'bfloat16';
}

/** Merges and saves; returns the architecture written. */
export async function mergeAdapterFolder(a: MergeAdapterArgs): Promise<string> {
  if (!isAdapterFolder(a.adapter))
    throw new Error(
      `--adapter ${a.adapter}: no adapter_config.json (or it is a full snapshot with config.json)`,
    );
  if (isAdapterFolder(a.base)) throw new Error(`--base ${a.base}: is an adapter folder, not a full snapshot`);
  if ([a.base, a.adapter].some((d) => resolve(d) === resolve(a.out)))
    throw new Error(`--out ${a.out}: must differ from --base and --adapter`);
  const adapter = await readAdapterConfig(a.adapter);
  const config = await loadConfig(a.base);
  const seqCls = adapter.taskType === 'SEQ_CLS';
  if (seqCls && !adapter.modulesToSave.includes('score'))
    throw new Error(
      `--adapter ${a.adapter}: a SEQ_CLS adapter must save its score head (modules_to_save: ["score"])`,
    );
  // A reward-model adapter over a causal-LM base: the score head comes from the adapter.
  const state = await loadStateDict(a.base, seqCls ? 'reward-model' : 'causal-lm', config, {
    ...(seqCls ? { initScoreSeed: 0 } : {}),
  });
  try {
    // Overwritten by the adapter's modules_to_save below.
    const { score } = headNames(config);
    if (seqCls && !state.has(score)) state.set(score, keep(zeros([1, config.hiddenSize])));
    const tensors = await readAdapterWeights(a.adapter);
    try {
      mergeAdapter(state, adapter, tensors, a.adapter);
    } finally {
      dispose([...tensors.values()]);
    }
    const tokenizerDir = existsSync(join(a.adapter, TOKENIZER_FILES[0]!)) ? a.adapter : a.base;
    const model = seqCls ? rewardModelFor(config, state) : causalLMFor(config, state);
    model.tokenizerDir = tokenizerDir;
    await model.save(a.out, a.dtype ? { dtype: a.dtype } : {});
    if (seqCls && existsSync(join(a.adapter, REWARD_NORMALIZATION_FILE)))
      await copyFile(join(a.adapter, REWARD_NORMALIZATION_FILE), join(a.out, REWARD_NORMALIZATION_FILE));
    return 'architecture' in model && typeof model.architecture === 'string'
      ? model.architecture
      : (model.constructor as unknown as { architecture: string }).architecture;
  } finally {
    dispose([...state.values()]);
  }
}
