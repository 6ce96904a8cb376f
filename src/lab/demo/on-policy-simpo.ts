/**
 * On-policy SimPO: the "data constraint" arm of claim 4. The paper explains SimPO's stability by its
 * offline data: pairs drawn once from the SFT policy keep the updates near where the labels were
 * made. This arm removes that constraint and changes nothing else. Each round (`roundsPerEpoch` a
 * pass over the prompts) the *current* policy samples `samplesPerPrompt` summaries of each prompt
 * the round will draw; the proxy reward model ranks them (best → chosen, worst → rejected), and
 * SimPO (src/losses, same β, γ, length normalisation, rate, batch and steps as offline SimPO)
 * trains on them. The prompts are those of offline SimPO's pairs, drawn in the same shuffled
 * order, so both arms see as many pair visits.
 *
 * A round's pairs are drawn with a seed of its first step and kept in the checkpoint (the data
 * cursor too), and checkpoints fall on round boundaries, so a resumed run trains on the same
 * pairs as an uninterrupted one.
 */
import type { PreferenceExample } from '../../data/index.ts';
import { preferenceLoss } from '../../losses/index.ts';
import type { Tokenizer } from '../../models/index.ts';
import type { RunLabels } from '../../runs/run-dir.ts';
import { noGrad } from '../../tensor/index.ts';
import type { LabModels, LMPolicy, ProxyReward } from '../../trainers/adapters/index.ts';
import { type CursorState, DataOrder } from '../../trainers/common/data-order.ts';
import { TrainingSession } from '../../trainers/common/session.ts';
import { type EncodedPair, encodePairs } from '../../trainers/offline/batching.ts';
import type { PreferenceConfig } from '../../trainers/offline/config.ts';
import type { CausalLM } from '../../trainers/offline/lm.ts';
import { preferenceMetrics } from '../../trainers/offline/preference.ts';
import { pairLogps } from '../../trainers/offline/sequence-logps.ts';
import { canonicalSummary, deriveSeed } from '../task/index.ts';
import type { OnPolicyPairSettings } from './config.ts';

export interface OnPolicySimpoRun {
  /** A parsed SimPO config: loss, β, γ, length normalisation, steps, batch, optimiser, seed, out. */
  config: PreferenceConfig;
  pairs: OnPolicyPairSettings;
  models: LabModels;
  policy: LMPolicy & { tokenizer: Tokenizer };
  proxy: ProxyReward;
  /** The prompt of every pair visit of an epoch (offline SimPO's pairs' prompts). */
  prompts: string[];
  /** Steps per pass over `prompts` (a round is epochSteps / roundsPerEpoch of them). */
  epochSteps: number;
  /** Response length limit of the sampled summaries (the demo's, as for the offline pairs). */
  maxNewTokens: number;
  name: string;
  labels: RunLabels;
  /** Called after every round's last step (and at no other step): the gold judge, logged under eval/. */
  evaluate: () => Record<string, number>;
  log: (msg: string) => void;
  onStep?: (step: number, metrics: Record<string, number>) => void;
}

/** One on-policy pair (row: its place in the round, 1-based) and the proxy's scores of its two sides. */
export interface RankedPair extends PreferenceExample {
  chosenScore: number;
  rejectedScore: number;
}

interface RoundState {
  cursor: CursorState;
  /** The current round's pairs, in the order its steps draw them. */
  round: RankedPair[];
}

/** Prompts per generation and scoring batch. */
const BATCH_PROMPTS = 64;

/**
 * The policy's own pairs for `prompts`: `samplesPerPrompt` sampled summaries each (in the data's
 * spelling, as the offline pairs), ranked by the proxy; the highest-scored is chosen, the lowest
 * rejected (two equal scores keep the sampling order).
 */
export function rankedPolicyPairs(
  models: LabModels,
  policy: LMPolicy & { tokenizer: Tokenizer },
  proxy: ProxyReward,
  prompts: readonly string[],
  s: OnPolicyPairSettings & { seed: number; maxNewTokens: number },
): RankedPair[] {
  const out: RankedPair[] = [];
  for (let start = 0; start < prompts.length; start += BATCH_PROMPTS) {
    const some = prompts.slice(start, start + BATCH_PROMPTS);
    const repeated = some.flatMap((p) => Array<string>(s.samplesPerPrompt).fill(p));
    const texts = models
      .sampleTexts(policy, repeated, {
        temperature: s.temperature,
        seed: deriveSeed(s.seed, start),
        maxNewTokens: s.maxNewTokens,
      })
      .map(canonicalSummary);
    const scores = models.scoreEach(proxy, repeated, texts);
    some.forEach((prompt, i) => {
      const at = (j: number) => i * s.samplesPerPrompt + j;
      let best = 0;
      let worst = 0;
      for (let j = 1; j < s.samplesPerPrompt; j++) {
        if (scores[at(j)]! > scores[at(best)]!) best = j;
        if (scores[at(j)]! < scores[at(worst)]!) worst = j;
      }
      if (best === worst) worst = best === 0 ? 1 : 0;
      out.push({
        row: start + i + 1,
        prompt,
        chosen: texts[at(best)]!,
        rejected: texts[at(worst)]!,
        chosenScore: scores[at(best)]!,
        rejectedScore: scores[at(worst)]!,
      });
    });
  }
  return out;
}

/** Trains on-policy SimPO to the end (resuming from the run folder's checkpoint); returns the folder. */
export async function trainOnPolicySimpo(run: OnPolicySimpoRun): Promise<string> {
  const c = run.config;
  if (c.loss !== 'simpo') throw new Error(`on-policy SimPO: config.loss must be simpo, got ${c.loss}`);
  if (run.pairs.samplesPerPrompt < 2)
    throw new Error(
      `on-policy SimPO: samplesPerPrompt must be ≥ 2 to make a pair, got ${run.pairs.samplesPerPrompt}`,
    );
  const roundSteps = Math.max(1, Math.round(run.epochSteps / run.pairs.roundsPerEpoch));
  const model = run.policy.model as unknown as CausalLM & { save(dir: string): Promise<void> };
  const session = await TrainingSession.start<RoundState>({
    runDir: c.out,
    name: run.name,
    kind: 'po',
    config: { ...c, onPolicy: run.pairs },
    params: model.parameters(),
    optimizer: c.optim,
    totalSteps: c.steps,
    rngs: {},
    labels: { algorithm: 'simpo', coef: c.beta, lr: c.optim.lr, seed: c.seed, ...run.labels },
    // Round boundaries: a resume starts a round, whose pairs it draws afresh (see the header).
    checkpointEvery: roundSteps,
    keepCheckpoints: c.keepCheckpoints,
    resume: 'auto',
    nonFinite: c.nonFinite,
    log: run.log,
  });
  const order = new DataOrder(run.prompts.length, c.seed, true, session.extra?.cursor);
  let round: RankedPair[] = session.extra?.round ?? [];
  let encoded: EncodedPair[] = encodePairs(run.policy.tokenizer, round, c);
  let roundMetrics: Record<string, number> = {};
  await session.run({
    step: (step, lr) => {
      const offset = ((step - 1) % roundSteps) * c.batchSize;
      if (offset === 0) {
        const indices = order.next(roundSteps * c.batchSize);
        round = rankedPolicyPairs(
          run.models,
          run.policy,
          run.proxy,
          indices.map((i) => run.prompts[i]!),
          { ...run.pairs, seed: deriveSeed(c.seed, step), maxNewTokens: run.maxNewTokens },
        );
        encoded = encodePairs(run.policy.tokenizer, round, c);
        roundMetrics = roundSummary(round);
      }
      const batch = encoded.slice(offset, offset + c.batchSize);
      const { loss, metrics, gradNorm } = session.applyMicroBatches(
        [{ part: batch, weight: 1 }],
        (pairs) => {
          const logps = pairLogps(model, pairs, run.policy.tokenizer.padId);
          const out = preferenceLoss(
            'simpo',
            {
              policyChosen: logps.chosen.sum,
              policyRejected: logps.rejected.sum,
              chosenLengths: logps.chosen.lengths,
              rejectedLengths: logps.rejected.lengths,
            },
            c,
          );
          return {
            loss: out.loss,
            metrics: preferenceMetrics(out.chosenRewards, out.rejectedRewards, logps),
          };
        },
        lr,
      );
      return { loss, ...metrics, ...(offset === 0 ? roundMetrics : {}), grad_norm: gradNorm, lr };
    },
    evaluate: () =>
      noGrad(() => Object.fromEntries(Object.entries(run.evaluate()).map(([k, v]) => [`eval/${k}`, v]))),
    evaluateAfter: (step) => step % roundSteps === 0 || step === c.steps,
    state: () => ({ cursor: order.state, round }),
    onStep: run.onStep,
    saveModel: (dir) => model.save(dir),
  });
  return session.dir;
}

/** What a round's pairs look like: the proxy's margin, ties, and the sampled lengths (logged at its first step). */
function roundSummary(pairs: readonly RankedPair[]): Record<string, number> {
  const n = Math.max(1, pairs.length);
  const words = (t: string) => t.trim().split(/\s+/).filter(Boolean).length;
  return {
    'onpolicy/proxy_chosen': pairs.reduce((s, p) => s + p.chosenScore, 0) / n,
    'onpolicy/proxy_margin': pairs.reduce((s, p) => s + (p.chosenScore - p.rejectedScore), 0) / n,
    'onpolicy/identical_pairs': pairs.filter((p) => p.chosen === p.rejected).length / n,
    'onpolicy/chosen_words': pairs.reduce((s, p) => s + words(p.chosen), 0) / n,
    'onpolicy/rejected_words': pairs.reduce((s, p) => s + words(p.rejected), 0) / n,
  };
}
