/**
 * The memory plan of a training run, from its config and the models' shapes alone (nothing is
 * loaded): the bytes of each component, the peak over the phases of a step, and the largest chunk
 * and micro-batch sizes that fit a memory budget (`maxent-rlhf plan`, docs/gpu.md).
 *
 * The counts follow what this implementation allocates, op by op:
 * - state: weights in the compute dtype; AdamW moments (2 × float32); under bfloat16 also float32
 *   master weights and master gradients (MasterWeights); gradients exist only during an update;
 * - saved activations of one GPT-NeoX layer per token (what autograd keeps for backward, parallel
 *   residual): the layer input, both layer-norm outputs, the fused QKV output (3h: q, k, v are
 *   views of it), the rotated halves of q and k (2·rot·heads), the rotated q and k (2h), the merged
 *   heads (h), the MLP's 4h pre- and post-GELU → (17 + 2·rotaryPct)·h values; and the attention
 *   probabilities [heads, T] per token, float32 (8 bytes with the fully masked rows of left padding:
 *   the softmax output and its NaN-free copy) plus the boolean mask;
 * - logits: only at the positions scored (responses online, completion tokens offline), float32
 *   copies for sampling's softmax and inverse CDF; the log-probs and entropies themselves come from
 *   one fused pass that keeps no [.., V] softmax for backward (TokenDistribution, tokenScores);
 * - a forward without autograd holds one layer's working set at a time, and generation's KV cache
 *   is preallocated once for every position (static: keys and values of each layer, written in place).
 */
import { countParameters, type GPTNeoXConfig, rotaryNdims, staticCacheBytes } from '../models/index.ts';
import type { OnlineTrainConfig } from './online/config.ts';
import { makeAlgorithm } from './online/trainer.ts';

export type PlanKind = 'sft' | 'rm' | 'po' | 'rl';

/** The config keys the plan reads (a subset of every trainer config). */
export interface PlanSettings {
  kind: PlanKind;
  dtype: 'float32' | 'bfloat16';
  /** Online: maxPromptTokens (a sequence is prompt + response); offline: the whole sequence, maxTotalTokens. */
  promptTokens: number;
  /** Scored tokens per row: completion offline (maxTotalTokens − maxPromptTokens), response online. */
  responseTokens: number;
  /** Online: rows per rollout (promptsPerStep × samples per prompt); offline: examples per batch. */
  batchRows: number;
  /** Rows per update minibatch (online), or examples per batch (offline). */
  minibatchRows: number;
  /** Rows per forward/backward of an update (null: the minibatch). Offline: examples. */
  microBatchSize: number | null;
  generationBatchSize: number | null;
  scoreBatchSize: number | null;
  /** Online: a reference model is loaded. Offline po: the reference is cached before training. */
  reference: boolean;
  /** PPO's value head. */
  valueHead: boolean;
  /** PPO's separate critic initialised from the reward model (ppo.critic: reward-model), trained. */
  critic?: boolean;
  /** klPrev: exact keeps a copy of the policy's weights through the update. */
  snapshot: boolean;
  /** Examples per evaluation batch (offline) — no-grad forward. */
  evalRows?: number;
}

export interface PlanModels {
  policy: GPTNeoXConfig;
  reference?: GPTNeoXConfig;
  reward?: GPTNeoXConfig;
}

export interface PlanComponent {
  name: string;
  bytes: number;
  note: string;
}

export interface PlanPhase {
  name: string;
  /** The components resident in this phase (state and working memory). */
  components: PlanComponent[];
  bytes: number;
}

export interface MemoryPlan {
  settings: PlanSettings;
  phases: PlanPhase[];
  peak: PlanPhase;
}

const F32 = 4;

function dtypeBytes(dtype: PlanSettings['dtype']): number {
  return dtype === 'bfloat16' ? 2 : F32;
}

/** Parameters of a reward model: the trunk and a one-label score head (no LM head). */
function rewardParameters(c: GPTNeoXConfig): number {
  const lm = countParameters(c);
  return lm - (c.tieWordEmbeddings ? 0 : c.vocabSize * c.hiddenSize) + c.hiddenSize;
}

/** Bytes autograd saves for backward in one layer, per token of a sequence of length T. */
export function layerActivationBytesPerToken(c: GPTNeoXConfig, T: number, w: number): number {
  const h = c.hiddenSize;
  const rotated = (2 * rotaryNdims(c) * c.numAttentionHeads) / h; // rotate_half copies of q and k, in units of h
  const values = (17 + rotated) * h;
  return values * w + 8 * c.numAttentionHeads * T + T;
}

/** Peak working bytes of one no-grad forward over `rows` × T tokens (one layer at a time, plus the residual stream). */
function forwardWorkingBytes(c: GPTNeoXConfig, rows: number, T: number, w: number): number {
  const h = c.hiddenSize;
  const tokens = rows * T;
  // Residual stream, layer input and norm outputs, QKV and the rotated q, k; attention scores,
  // probabilities and their copy (float32); the MLP's two 4h tensors at once.
  const attention = tokens * (7 * h * w) + 3 * F32 * rows * c.numAttentionHeads * T * T;
  const mlp = tokens * (3 * h + 2 * c.intermediateSize) * w;
  return Math.max(attention, mlp);
}

/** Working bytes of the next-token distributions of `positions` positions (logits and float32 copies). */
function logitsBytes(c: GPTNeoXConfig, positions: number, w: number, extra = 0): number {
  // LM-head output, float32 logits, softmax probabilities, and the entropy's product (TokenDistribution).
  return positions * c.vocabSize * (w + (3 + extra) * F32);
}

/** Bytes of the logits saved for backward plus their backward transients. */
function trainingLogitsBytes(c: GPTNeoXConfig, positions: number): number {
  // The fused scoring op (tokenScores) keeps no softmax. Saved: the LM head's float32 output and its
  // tempered copy (sampling temperature ≠ 1); backward: the fused gradient and the division's.
  return positions * c.vocabSize * 4 * F32;
}

function kvCacheBytes(c: GPTNeoXConfig, rows: number, T: number, w: number): number {
  // generate's static cache: keys and values of every layer, preallocated for all T positions.
  return staticCacheBytes(c, rows, T, w);
}

const rowsOf = (size: number | null, all: number) => Math.min(size ?? all, all);

export function memoryPlan(s: PlanSettings, models: PlanModels): MemoryPlan {
  const w = dtypeBytes(s.dtype);
  const pc = models.policy;
  const P = countParameters(pc);
  const mixed = s.dtype === 'bfloat16';
  const state: PlanComponent[] = [
    { name: 'policy weights', bytes: P * w, note: `${fmtCount(P)} parameters × ${w} B` },
  ];
  if (mixed) state.push({ name: 'master weights', bytes: P * F32, note: 'float32 copies AdamW steps' });
  state.push({ name: 'AdamW state', bytes: 2 * P * F32, note: 'two float32 moments' });
  const head = s.valueHead ? pc.hiddenSize + 1 : 0;
  if (head) state.push({ name: 'value head', bytes: head * (w + 3 * F32), note: 'weights and AdamW state' });
  if (s.kind === 'rl' && s.reference && models.reference)
    state.push({
      name: 'reference',
      bytes: countParameters(models.reference) * w,
      note: 'frozen, compute dtype',
    });
  if (s.kind === 'rl' && models.reward)
    state.push({
      name: 'reward model',
      bytes: rewardParameters(models.reward) * w,
      note: 'frozen, compute dtype',
    });
  // The RM-initialised critic trains beside the policy: its own weights, masters and AdamW state.
  const C = s.kind === 'rl' && s.critic && models.reward ? rewardParameters(models.reward) : 0;
  if (C)
    state.push({
      name: 'critic',
      bytes: C * (w + (mixed ? F32 : 0) + 2 * F32),
      note: `${fmtCount(C)} parameters: weights${mixed ? ', masters' : ''} and AdamW state`,
    });
  const gradients: PlanComponent = {
    name: 'gradients',
    bytes: (P + C) * (mixed ? w + F32 : F32),
    note: mixed ? 'bf16 gradients of a backward + float32 master gradients' : 'float32',
  };
  const phases: PlanPhase[] = [];
  const phase = (name: string, extra: PlanComponent[]) => {
    const components = [...state, ...extra];
    phases.push({ name, components, bytes: components.reduce((n, x) => n + x.bytes, 0) });
  };
  const T = s.promptTokens + (s.kind === 'rl' ? s.responseTokens : 0);
  const L = pc.numHiddenLayers;

  if (s.kind === 'rl') {
    const gen = rowsOf(s.generationBatchSize, s.batchRows);
    const score = rowsOf(s.scoreBatchSize, s.batchRows);
    phase('generation', [
      { name: 'KV cache', bytes: kvCacheBytes(pc, gen, T, w), note: `${gen} rows × ${T} tokens` },
      {
        name: 'prefill working memory',
        bytes: forwardWorkingBytes(pc, gen, s.promptTokens, w) + logitsBytes(pc, gen, w, 2),
        note: `${gen} prompts`,
      },
    ]);
    const scoring = (model: GPTNeoXConfig, logits: boolean) =>
      forwardWorkingBytes(model, score, T, w) + (logits ? logitsBytes(pc, score * s.responseTokens, w) : 0);
    phase('scoring', [
      {
        name: 'scoring working memory',
        bytes: Math.max(scoring(pc, true), models.reward ? scoring(models.reward, false) : 0),
        note: `${score} rows: one layer's activations + logits of ${score}×${s.responseTokens} positions`,
      },
    ]);
    const micro = rowsOf(s.microBatchSize, s.minibatchRows);
    const snapshot: PlanComponent[] = s.snapshot
      ? [{ name: 'previous policy', bytes: P * w, note: 'klPrev: exact, frozen copy' }]
      : [];
    const criticActivations =
      C && models.reward
        ? micro * T * models.reward.numHiddenLayers * layerActivationBytesPerToken(models.reward, T, w)
        : 0;
    phase('update', [
      ...snapshot,
      gradients,
      {
        name: 'activations',
        bytes:
          micro * T * (L * layerActivationBytesPerToken(pc, T, w) + 2 * pc.hiddenSize * w) +
          criticActivations,
        note: `${micro} rows × ${T} tokens × ${L} layers${C ? ' (and the critic’s)' : ''}`,
      },
      {
        name: 'logits',
        bytes:
          trainingLogitsBytes(pc, micro * s.responseTokens) +
          (s.valueHead ? micro * s.responseTokens * pc.hiddenSize * F32 : 0),
        note: `${micro}×${s.responseTokens} positions`,
      },
    ]);
    if (s.snapshot)
      phase('KL to the previous policy', [
        ...snapshot,
        // The current policy's full log-probs are held while the previous policy is scored (a score
        // call keeps only its outputs); the KL's three temporaries then fit in what that call freed.
        {
          name: 'scoring working memory',
          bytes: forwardWorkingBytes(pc, score, T, w) + logitsBytes(pc, score * s.responseTokens, w, 1),
          note: `${score} rows, one policy's distributions at a time`,
        },
        {
          name: 'held log-probabilities',
          bytes: score * s.responseTokens * pc.vocabSize * F32,
          note: 'the other policy’s, over the whole vocabulary',
        },
      ]);
  } else {
    // Offline: rows are examples (SFT) or pairs × 2 (RM, preference), sequences of maxTotalTokens.
    const perExample = s.kind === 'sft' ? 1 : 2;
    const micro = rowsOf(s.microBatchSize, s.minibatchRows) * perExample;
    const scored = s.kind === 'rm' ? 0 : micro * s.responseTokens;
    if (s.kind === 'po' && s.reference)
      phases.push(
        sumPhase('reference log-probs (before training)', [
          state[0]!,
          { name: 'reference', bytes: P * w, note: 'loaded for the cache, then freed' },
          {
            name: 'forward working memory',
            bytes:
              forwardWorkingBytes(pc, s.batchRows * 2, T, w) +
              logitsBytes(pc, s.batchRows * 2 * s.responseTokens, w),
            note: `${s.batchRows * 2} rows`,
          },
        ]),
      );
    phase('update', [
      gradients,
      {
        name: 'activations',
        bytes: micro * T * (L * layerActivationBytesPerToken(pc, T, w) + 2 * pc.hiddenSize * w),
        note: `${micro} rows × ${T} tokens × ${L} layers`,
      },
      { name: 'logits', bytes: trainingLogitsBytes(pc, scored), note: `${scored} completion positions` },
    ]);
    const evalRows = (s.evalRows ?? s.batchRows) * perExample;
    phase('evaluation', [
      {
        name: 'forward working memory',
        bytes:
          forwardWorkingBytes(pc, evalRows, T, w) +
          (s.kind === 'rm' ? 0 : logitsBytes(pc, evalRows * s.responseTokens, w)),
        note: `${evalRows} rows, no autograd`,
      },
    ]);
  }
  const peak = phases.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return { settings: s, phases, peak };
}

function sumPhase(name: string, components: PlanComponent[]): PlanPhase {
  return { name, components, bytes: components.reduce((n, x) => n + x.bytes, 0) };
}

/** On a GPU: the CUDA context and the caching allocator's fragmentation, on top of the plan's peak. */
export function gpuReserveBytes(peak: number): number {
  return 1.5 * GIB + 0.05 * peak;
}

export const GIB = 1024 ** 3;

/** The chunk and micro-batch sizes the plan can vary, and how to set one. */
const KNOBS = {
  rl: ['microBatchSize', 'generationBatchSize', 'scoreBatchSize'],
  sft: ['microBatchSize'],
  rm: ['microBatchSize'],
  po: ['microBatchSize'],
} as const satisfies Record<PlanKind, readonly (keyof PlanSettings)[]>;

/**
 * For each knob, the largest value (up to its batch) whose peak plus the GPU reserve fits
 * `budgetBytes`, with the other knobs at 1 (each knob sizes its own phase, so these are the
 * ceilings to set them to together); null when even 1 does not fit.
 */
export function largestFitting(
  s: PlanSettings,
  models: PlanModels,
  budgetBytes: number,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const knobs = KNOBS[s.kind];
  const smallest = Object.fromEntries(knobs.map((k) => [k, 1]));
  for (const knob of knobs) {
    const limit = knob === 'microBatchSize' ? s.minibatchRows : s.batchRows;
    const fits = (n: number) => {
      const peak = memoryPlan({ ...s, ...smallest, [knob]: n }, models).peak.bytes;
      return peak + gpuReserveBytes(peak) <= budgetBytes;
    };
    if (!fits(1)) {
      out[knob] = null;
      continue;
    }
    let lo = 1;
    let hi = limit;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    out[knob] = lo;
  }
  return out;
}

export function fmtBytes(n: number): string {
  if (n >= GIB) return `${(n / GIB).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

function fmtCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${(n / 1e6).toFixed(1)}M`;
}

/** The rows each update minibatch holds, as the algorithm's config says. */
function minibatchOf(c: OnlineTrainConfig): number {
  switch (c.algorithm) {
    case 'ppo':
      return c.ppo.minibatchSize;
    case 'rloo':
    case 'reinforce':
      return c.rloo.minibatchSize;
    case 'grpo':
      return c.grpo.minibatchSize;
    case 'reinforce++':
      return c.reinforcePlusPlus.minibatchSize;
  }
}

export function onlinePlanSettings(
  c: OnlineTrainConfig,
  opts: { maxPromptTokens: number; reference: boolean },
): PlanSettings {
  const rows = c.promptsPerStep * makeAlgorithm(c).samplesPerPrompt;
  const critic = c.algorithm === 'ppo' && c.ppo.critic === 'reward-model';
  return {
    kind: 'rl',
    dtype: c.dtype,
    promptTokens: opts.maxPromptTokens,
    responseTokens: c.maxNewTokens,
    batchRows: rows,
    minibatchRows: Math.min(minibatchOf(c), rows),
    microBatchSize: c.microBatchSize,
    generationBatchSize: c.rollout.generationBatchSize,
    scoreBatchSize: c.rollout.scoreBatchSize,
    reference: opts.reference,
    valueHead: c.algorithm === 'ppo' && !critic,
    critic,
    snapshot: c.klPrev === 'exact',
  };
}

/** What the plan reads of an offline config (SftConfig, RewardModelConfig, PreferenceConfig). */
export interface OfflinePlanConfig {
  dtype: 'float32' | 'bfloat16';
  maxPromptTokens: number;
  maxTotalTokens: number;
  batchSize: number;
  microBatchSize: number | null;
  loss?: string;
}

export function offlinePlanSettings(
  kind: 'sft' | 'rm' | 'po',
  c: OfflinePlanConfig,
  opts: { reference: boolean },
): PlanSettings {
  return {
    kind,
    dtype: c.dtype,
    promptTokens: c.maxTotalTokens,
    responseTokens: c.maxTotalTokens - c.maxPromptTokens,
    batchRows: c.batchSize,
    minibatchRows: c.batchSize,
    microBatchSize: c.microBatchSize,
    generationBatchSize: null,
    scoreBatchSize: null,
    reference: opts.reference,
    valueHead: false,
    snapshot: false,
    evalRows: c.batchSize,
  };
}
