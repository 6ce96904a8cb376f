/**
 * Offline preference optimisation with any loss of src/losses/preference.ts (DPO, cDPO, robust, IPO,
 * hinge, SimPO, CPO, CPO-SimPO, ORPO). Reference-based losses use reference log-probs computed once and
 * cached; reference-free losses (SimPO, CPO, ORPO) never load a reference model.
 * Logged every step with TRL's names, plus `ref/logratio` = batch mean of
 * log π_ref(y_w|x) − log π_ref(y_l|x) (the paper's Figure 4).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PreferenceExample } from '../../data/index.ts';
import { preferenceLoss, REFERENCE_LOSSES } from '../../losses/index.ts';
import { loadCausalLM } from '../../models/index.ts';
import type { RunLabels } from '../../runs/run-dir.ts';
import { resolveDevice, type Tensor, tensor } from '../../tensor/index.ts';
import { DataParallel } from '../common/data-parallel.ts';
import { onRunDevice } from '../common/device.ts';
import { checkLimits, type EncodedPair, encodePairs } from './batching.ts';
import type { PreferenceConfig } from './config.ts';
import type { CausalLM, TextTokenizer } from './lm.ts';
import { examplesDrawn, type OfflineRunHooks, trainOffline } from './loop.ts';
import {
  cachedReferenceLogps,
  computeReferenceLogps,
  type ReferenceLogps,
  referenceCacheKey,
  referenceCachePath,
  sharedReferenceLogps,
} from './reference-cache.ts';
import { pairLogps } from './sequence-logps.ts';

export interface PreferenceRun extends OfflineRunHooks {
  config: PreferenceConfig;
  policy: CausalLM;
  /**
   * Loads the reference model (only called for reference-based losses, and only on a cache miss);
   * default: the config's `reference` snapshot (absent: `model`), frozen, in its dtype and device.
   */
  loadReference?: () => Promise<CausalLM>;
  /** Folder of the reference snapshot (cache key); default: the config's `reference`, else `model`. */
  referenceDir?: string;
  tokenizer: TextTokenizer;
  train: PreferenceExample[];
  eval: PreferenceExample[];
  /** Labels added to the run's own (algorithm, coef), e.g. the lab's γ and arm. */
  labels?: RunLabels;
  /**
   * More held-out metrics at each evaluation (main process only), merged under `eval/` — the lab's
   * gold judge of the policy's greedy summaries. Called without autograd.
   */
  evaluateMore?: () => Record<string, number>;
}

export function needsReference(loss: PreferenceConfig['loss']): boolean {
  return REFERENCE_LOSSES.has(loss);
}

export function trainPreference(run: PreferenceRun): Promise<string> {
  // The cached reference log-probs are computed on the run device too.
  return onRunDevice(run.config.device, { policy: run.policy.parameters() }, () => train(run));
}

async function train(run: PreferenceRun): Promise<string> {
  const c = run.config;
  checkLimits(c);
  const log = run.log ?? ((m: string) => console.error(m));
  const trainSet = encodePairs(run.tokenizer, run.train, c);
  const evalSet = encodePairs(run.tokenizer, run.eval, c);
  // One reference model at most, shared by the train and eval caches and freed once both exist.
  let reference: Promise<CausalLM> | null = null;
  const loadReference = () => (reference ??= requireLoader(run)());
  const dp = new DataParallel(run.group);
  const job: ReferenceJob = { run, loadReference, log, dp };
  const refTrain = needsReference(c.loss) ? await referenceForVisited(job, trainSet) : null;
  const refEval = needsReference(c.loss) && evalSet.length ? await referenceFor(job, evalSet) : null;
  if (reference) freeReference(await reference, run.policy);
  const step = (indices: number[], set: EncodedPair[], ref: ReferenceLogps | null) => {
    const logps = pairLogps(
      run.policy,
      indices.map((i) => set[i]!),
      run.tokenizer.padId,
    );
    const refChosen = ref ? tensor(indices.map((i) => ref.chosen[i]!)) : undefined;
    const refRejected = ref ? tensor(indices.map((i) => ref.rejected[i]!)) : undefined;
    const out = preferenceLoss(
      c.loss,
      {
        policyChosen: logps.chosen.sum,
        policyRejected: logps.rejected.sum,
        chosenLengths: logps.chosen.lengths,
        rejectedLengths: logps.rejected.lengths,
        refChosen,
        refRejected,
      },
      c,
    );
    return {
      loss: out.loss,
      metrics: preferenceMetrics(out.chosenRewards, out.rejectedRewards, logps, refChosen, refRejected),
    };
  };
  return trainOffline({
    config: c,
    kind: 'po',
    name: run.name ?? c.loss,
    labels: { algorithm: c.loss, coef: c.beta, ...run.labels },
    model: run.policy,
    datasetSize: trainSet.length,
    log,
    onStep: run.onStep,
    group: run.group,
    microStep: (indices) => step(indices, trainSet, refTrain),
    evalSize: evalSet.length,
    // Each held-out batch runs once for both metrics.
    evalMetrics: (indices) => {
      const { loss, metrics } = step(indices, evalSet, refEval);
      return { 'eval/loss': loss.item(), 'eval/rewards/accuracies': metrics['rewards/accuracies']! };
    },
    evaluateMore: run.evaluateMore,
  });
}

/** Frees a loaded reference model (its log-probs are cached), unless the loader returned the policy. */
function freeReference(reference: CausalLM, policy: CausalLM): void {
  if (reference !== policy) (reference as Partial<{ dispose(): void }>).dispose?.();
}

/**
 * The reference model's loader: the run's own, or else frozen weights of the config's `reference`
 * snapshot (default: the starting `model`), in the run's dtype on the run device.
 */
function requireLoader(run: PreferenceRun): () => Promise<CausalLM> {
  if (run.loadReference) return run.loadReference;
  const c = run.config;
  return () => loadCausalLM(referenceDirOf(run), { dtype: c.dtype, device: resolveDevice(c.device) });
}

/** The reference snapshot's folder (the cache key): the run's, else `reference`, else `model`. */
function referenceDirOf(run: PreferenceRun): string {
  return run.referenceDir ?? run.config.reference ?? run.config.model;
}

/** What computing (or reading the cache of) reference log-probs needs, besides the pairs. */
interface ReferenceJob {
  run: PreferenceRun;
  /** Loads the reference model once, on the first cache miss. */
  loadReference: () => Promise<CausalLM>;
  log: (m: string) => void;
  dp: DataParallel;
}

/**
 * Reference log-probs of the pairs the run visits: a run shorter than an epoch does not run the
 * reference model on pairs it never draws. The others hold NaN, so reading one stops training as
 * non-finite rather than training on a made-up value.
 */
async function referenceForVisited(job: ReferenceJob, pairs: EncodedPair[]): Promise<ReferenceLogps> {
  const visited = examplesDrawn(job.run.config, pairs.length);
  if (visited.length === pairs.length) return referenceFor(job, pairs);
  const some = await referenceFor(
    job,
    visited.map((i) => pairs[i]!),
  );
  const out = {
    chosen: new Float64Array(pairs.length).fill(Number.NaN),
    rejected: new Float64Array(pairs.length).fill(Number.NaN),
  };
  visited.forEach((pair, j) => {
    out.chosen[pair] = some.chosen[j]!;
    out.rejected[pair] = some.rejected[j]!;
  });
  return out;
}

async function referenceFor(
  { run, loadReference, log, dp }: ReferenceJob,
  pairs: EncodedPair[],
): Promise<ReferenceLogps> {
  requireLoader(run);
  const key = referenceCacheKey(referenceDirOf(run), pairs);
  const cacheDir = join(run.config.out, 'cache');
  if (dp.distributed)
    // Rank 0's cache decides; on a miss each rank runs the reference model on its share of the pairs.
    return sharedReferenceLogps(
      dp,
      cacheDir,
      key,
      pairs.length,
      async (start, end) =>
        computeReferenceLogps(
          await loadReference(),
          pairs.slice(start, end),
          run.tokenizer.padId,
          run.config.batchSize,
        ),
      log,
    );
  // On a cache hit the reference model is never loaded at all.
  const reference = existsSync(referenceCachePath(cacheDir, key)) ? null : await loadReference();
  return cachedReferenceLogps(
    cacheDir,
    key,
    () => computeReferenceLogps(reference!, pairs, run.tokenizer.padId, run.config.batchSize),
    log,
  );
}

/** TRL's logged preference metrics of a batch (rewards, accuracies, margins, log-probs, lengths). */
export function preferenceMetrics(
  chosenRewards: Tensor,
  rejectedRewards: Tensor,
  l: ReturnType<typeof pairLogps>,
  refChosen?: Tensor,
  refRejected?: Tensor,
): Record<string, number> {
  const m: Record<string, number> = {
    'rewards/chosen': chosenRewards.mean().item(),
    'rewards/rejected': rejectedRewards.mean().item(),
    'rewards/accuracies': chosenRewards.gt(rejectedRewards).to('float32').mean().item(),
    'rewards/margins': chosenRewards.sub(rejectedRewards).mean().item(),
    'logps/chosen': l.chosen.sum.detach().mean().item(),
    'logps/rejected': l.rejected.sum.detach().mean().item(),
    'lengths/chosen': l.chosen.lengths.mean().item(),
    'lengths/rejected': l.rejected.lengths.mean().item(),
  };
  if (refChosen && refRejected) m['ref/logratio'] = refChosen.sub(refRejected).mean().item();
  return m;
}
