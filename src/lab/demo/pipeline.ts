/**
 * `maxent-rlhf demo`: the paper's pipeline, end to end, on the built-in synthetic TL;DR lab.
 *
 *   data → init → SFT → preference data (SFT samples + references, gold-labelled with Bradley-Terry
 *        noise) → reward model (the proxy) → DPO, SimPO and its ablations (several epochs, gold every
 *        half epoch) → best-of-n → online RLHF at one budget: KL-regularised (β) at each rate,
 *        Maximum-Entropy (no reference) at the lower rate, the entropy dose without KL at the higher
 *        rate, PPO
 *
 * Every stage is a real training run in its own run folder, cached by its settings. The `demo`
 * command (src/cli/commands/demo.ts) then hands the folders to src/report, which writes the report.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadPreferenceDataset, loadSftDataset } from '../../data/index.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { makeDirs } from '../../io/make-dirs.ts';
import { RunDir } from '../../runs/run-dir.ts';
import { LabModels, LMPolicy, type ProxyReward } from '../../trainers/adapters/index.ts';
import { encodePairs } from '../../trainers/offline/batching.ts';
import {
  PreferenceConfigSchema,
  RewardModelConfigSchema,
  SftConfigSchema,
} from '../../trainers/offline/config.ts';
import { trainPreference } from '../../trainers/offline/preference.ts';
import { trainRewardModel } from '../../trainers/offline/reward-model.ts';
import { trainSft } from '../../trainers/offline/sft.ts';
import { runBestOfN } from '../../trainers/online/best-of-n.ts';
import { OnlineTrainConfigSchema } from '../../trainers/online/config.ts';
import { trainOnline } from '../../trainers/online/trainer.ts';
import {
  completeSummary,
  formatSummaryForm,
  generatePreferencePosts,
  LAB_FILES,
  LAB_MODEL_MAX_LENGTH,
  type LabPreferenceRow,
  MAX_PROMPT_TOKENS,
  TERSE_FORM,
  winRate,
  writePreferenceFile,
} from '../task/index.ts';
import { DEMO_PRESETS, type DemoConfig, type DemoPreset } from './config.ts';
import { GoldEvaluation, hasFinalEvaluation } from './gold-eval.ts';
import { readLabRows, writeLabFiles } from './lab-files.ts';
import { trainOnPolicySimpo } from './on-policy-simpo.ts';
import { buildPolicyPreferenceData } from './policy-preferences.ts';
import { fmt, stageProgress } from './progress.ts';
import { proxyGoldAgreement } from './proxy-agreement.ts';
import { isCached, markStage, stageKey } from './stage-cache.ts';

export interface DemoOptions {
  out: string;
  preset: DemoPreset;
  fresh: boolean;
  /** Overrides the preset's seed (data, initialisation, sampling and training all follow it). */
  seed?: number;
  log?: (msg: string) => void;
}

/** One offline preference-optimisation arm (claim 3 and the ablations of claim 4). */
export interface OfflineArm {
  /** Folder and run name: `dpo`, `simpo`, `simpo-gamma<γ>`, `simpo-no-length-norm`. */
  name: string;
  title: string;
  loss: 'dpo' | 'simpo';
  beta: number;
  gamma: number;
  lengthNormalize: boolean;
  /**
   * Without length normalisation β is divided by the mean response length of the training pairs
   * (in tokens), so the implicit rewards keep SimPO's scale and only the normalisation changes.
   */
  betaPerMeanLength: boolean;
}

/**
 * The offline arms: DPO; SimPO at its own defaults (β = 2, γ = 1); the γ dose of claim 4 (SimPO with
 * each other γ of `po.gammaDose`, γ = 0 removing the margin); and SimPO without length normalisation
 * at a rescaled β (Meng et al. 2024, §4 ablate both stabilisers).
 */
export function offlineArms(cfg: DemoConfig): OfflineArm[] {
  const p = cfg.po;
  const simpo = {
    loss: 'simpo',
    beta: p.simpoBeta,
    lengthNormalize: true,
    betaPerMeanLength: false,
  } as const;
  return [
    {
      name: 'dpo',
      title: 'DPO',
      loss: 'dpo',
      beta: p.dpoBeta,
      gamma: 0,
      lengthNormalize: true,
      betaPerMeanLength: false,
    },
    { name: 'simpo', title: 'SimPO', gamma: p.simpoGamma, ...simpo },
    ...p.gammaDose
      .filter((g) => g !== p.simpoGamma)
      .map((g) => ({ name: `simpo-gamma${g}`, title: `SimPO γ=${g}`, gamma: g, ...simpo })),
    {
      name: 'simpo-no-length-norm',
      title: 'SimPO no len-norm',
      ...simpo,
      gamma: p.simpoGamma,
      lengthNormalize: false,
      betaPerMeanLength: true,
    },
  ];
}

/** Folder and run name of on-policy SimPO (claim 4's data-constraint arm). */
export const ON_POLICY_SIMPO = 'simpo-on-policy';

/** Longest prompt + response of the SFT, reward-model and preference data. */
const MAX_TOTAL_TOKENS = LAB_MODEL_MAX_LENGTH;

/** The task's headroom on the gold-evaluation posts (computed from the data, no model). */
export interface DemoHeadroom {
  /** Win rate of the complete summary (the best gold summary per post). */
  oracleWinRate: number;
  /** Win rate of a perfect imitator of the references' terse habit. */
  terseWinRate: number;
}

/** What a stage needs besides its settings: model loaders, the log, and whether to draw progress bars. */
export interface StageContext {
  models: LabModels;
  log: (msg: string) => void;
  /** Progress bars on stderr (off in worker processes, whose stages report when they finish). */
  progress: boolean;
}

/**
 * One step of the pipeline for one seed. Its output folder is cached by a key over its settings and
 * its inputs' keys, so a stage whose inputs did not change is never rerun.
 */
export interface DemoStage {
  /** Unique within a seed; a training stage's id is also its folder there: `sft`, `po/dpo`, `rl/<run>`. */
  id: string;
  /** Stages whose outputs this one reads. */
  after: string[];
  /** Relative single-core cost (SFT = 4), so a scheduler can start the longest remaining path first. */
  cost: number;
  /** True when the stage's cached output is complete (nothing to run). */
  done(): boolean;
  run(ctx: StageContext): Promise<void>;
}

/** The preset's settings for one seed (data, initialisation, sampling and training all follow it). */
export function demoConfig(preset: DemoPreset, seed?: number): DemoConfig {
  const p = DEMO_PRESETS[preset];
  return seed === undefined ? p : { ...p, seed };
}

/** Runs the pipeline for one seed in this process, stage after stage (`demo --jobs 1`). */
export async function runDemo(o: DemoOptions): Promise<DemoHeadroom> {
  const cfg = demoConfig(o.preset, o.seed);
  const log = o.log ?? ((m: string) => console.error(m));
  if (o.fresh) rmSync(o.out, { recursive: true, force: true });
  makeDirs(o.out);
  const ctx: StageContext = { models: new LabModels(), log, progress: true };
  for (const stage of demoStages(o.out, cfg)) if (!stage.done()) await stage.run(ctx);
  return demoHeadroom(join(o.out, 'data'), cfg);
}

/**
 * The stages of one seed, in an order that respects `after`:
 *
 *   data → init → sft → preferences → rm ─┬→ bon, rl/<run> × grid
 *                           └→ po/<arm> ×arms ─┴→ offline-gold (gold win rates of SFT, DPO, SimPO…)
 */
export function demoStages(out: string, cfg: DemoConfig): DemoStage[] {
  const dataKey = stageKey('data', cfg.seed, cfg.data);
  const initKey = stageKey('init', cfg.model, cfg.seed, dataKey);
  const sftKey = stageKey('sft', cfg.sft, initKey);
  const prefKey = stageKey('preferences', cfg.preferences, cfg.maxNewTokens, sftKey);
  const rmKey = stageKey('rm', cfg.rm, prefKey);
  const dataDir = join(out, 'data');
  const initDir = join(out, 'init');
  const sftDir = join(out, 'sft');
  const prefDir = join(out, 'preferences');
  const rmDir = join(out, 'rm');
  const poDir = (name: string) => join(out, 'po', name);
  const gold = (models: LabModels) =>
    GoldEvaluation.create(models, dataDir, cfg.data.rlEvalPrompts, cfg.maxNewTokens);

  const stages: DemoStage[] = [
    {
      id: 'data',
      after: [],
      cost: 0.1,
      done: () => isCached(dataDir, dataKey, (d) => existsSync(join(d, LAB_FILES.tokenizerConfig))),
      run: async ({ log }) => {
        await writeLabFiles(dataDir, cfg);
        markStage(dataDir, dataKey);
        log(`data: wrote the synthetic TL;DR lab to ${dataDir}`);
        const h = demoHeadroom(dataDir, cfg);
        log(
          `task: oracle (complete summary) win rate ${fmt(h.oracleWinRate, 3)}, terse summary ${fmt(h.terseWinRate, 3)}`,
        );
      },
    },
    {
      id: 'init',
      after: ['data'],
      cost: 0.1,
      done: () => isCached(initDir, initKey, (d) => existsSync(join(d, 'config.json'))),
      run: async ({ models }) => {
        await models.initModel(initDir, {
          ...cfg.model,
          tokenizerDir: dataDir,
          seed: cfg.seed,
          maxPositions: MAX_TOTAL_TOKENS + 8,
        });
        markStage(initDir, initKey);
      },
    },
    {
      id: 'sft',
      after: ['init'],
      cost: 4,
      done: () => isCached(sftDir, sftKey, RunDir.isDone),
      run: (ctx) => cachedRun(sftDir, sftKey, () => trainSftStage(ctx, cfg, { dataDir, initDir, sftDir })),
    },
    {
      id: 'preferences',
      after: ['sft'],
      cost: 1.2,
      done: () => isCached(prefDir, prefKey, (d) => existsSync(join(d, LAB_FILES.preferenceEval))),
      run: async (ctx) => {
        rmSync(prefDir, { recursive: true, force: true });
        await writePreferenceStage(ctx, cfg, sftDir, prefDir);
        markStage(prefDir, prefKey);
      },
    },
    {
      id: 'rm',
      after: ['preferences'],
      cost: 4.5,
      done: () => isCached(rmDir, rmKey, RunDir.isDone) && existsSync(join(rmDir, PROXY_AGREEMENT_FILE)),
      run: async (ctx) => {
        await cachedRun(rmDir, rmKey, () => trainRewardModelStage(ctx, cfg, { sftDir, prefDir, rmDir }));
        const proxy = await ctx.models.loadRewardFunction(join(rmDir, 'model'));
        try {
          recordProxyAgreement(rmDir, prefDir, cfg, proxy, ctx.log);
        } finally {
          proxy.model.dispose();
        }
      },
    },
  ];
  const arms = offlineArms(cfg);
  for (const arm of arms) {
    const dir = poDir(arm.name);
    // The arm's own settings, not the list of arms: adding a γ to the dose retrains nothing else.
    const { gammaDose: _dose, onPolicy: _onPolicy, ...po } = cfg.po;
    const key = stageKey('po', arm, po, cfg.data.rlEvalPrompts, prefKey);
    stages.push({
      id: `po/${arm.name}`,
      after: ['preferences'],
      cost: 1.5,
      done: () => isCached(dir, key, RunDir.isDone),
      run: (ctx) =>
        cachedRun(dir, key, async () =>
          trainOfflineStage(ctx, cfg, arm, await gold(ctx.models), { sftDir, prefDir, dir }),
        ),
    });
  }
  // The data-constraint arm: SimPO on the policy's own pairs, ranked by the proxy (after the RM).
  const { gammaDose: _gammas, ...onPolicyPo } = cfg.po;
  const onPolicyDir = poDir(ON_POLICY_SIMPO);
  const onPolicyKey = stageKey('po-on-policy', onPolicyPo, cfg.maxNewTokens, cfg.data.rlEvalPrompts, rmKey);
  stages.push({
    id: `po/${ON_POLICY_SIMPO}`,
    after: ['rm'],
    cost: 3,
    done: () => isCached(onPolicyDir, onPolicyKey, RunDir.isDone),
    run: (ctx) =>
      cachedRun(onPolicyDir, onPolicyKey, async () =>
        trainOnPolicyStage(ctx, cfg, await gold(ctx.models), { sftDir, prefDir, rmDir, dir: onPolicyDir }),
      ),
  });
  const offlineDirs = [sftDir, ...arms.map((v) => poDir(v.name))];
  stages.push({
    id: 'offline-gold',
    after: ['rm', ...arms.map((v) => `po/${v.name}`)],
    cost: 0.3,
    done: () => offlineDirs.every(hasFinalEvaluation),
    // Gold win rates of the offline policies (SFT, DPO, SimPO…) with the same judge and posts as RL.
    run: async ({ models }) => {
      const evaluation = await gold(models);
      const proxy = await models.loadRewardFunction(join(rmDir, 'model'));
      try {
        for (const dir of offlineDirs) await evaluation.recordFinal(dir, proxy);
      } finally {
        proxy.model.dispose();
      }
    },
  });
  const bonDir = join(out, 'bon');
  const bonKey = stageKey('bon', cfg.bon, sftKey, rmKey);
  stages.push({
    id: 'bon',
    after: ['rm'],
    cost: 1.7,
    done: () => isCached(bonDir, bonKey, RunDir.isDone),
    run: async (ctx) => {
      rmSync(bonDir, { recursive: true, force: true });
      mkdirSync(bonDir, { recursive: true });
      markStage(bonDir, bonKey);
      await runBestOfNStage(ctx, bonDir, cfg, await gold(ctx.models), { sftDir, rmDir });
    },
  });
  const upstream = { dataDir, sftDir, rmDir };
  for (const run of onlineGrid(cfg)) {
    const dir = join(out, 'rl', run.name);
    // The run's own settings (its rate and coefficient are in `run`), not the grid's lists.
    const { lrs: _lrs, entropyCoefs: _coefs, entropyDose: _dose, ...rl } = cfg.rl;
    const key = stageKey('rl', run, rl, stageKey(sftKey, rmKey));
    stages.push({
      id: `rl/${run.name}`,
      after: ['rm'],
      cost: run.ppo ? 3.5 : 2.8,
      done: () => isCached(dir, key, RunDir.isDone),
      run: (ctx) =>
        cachedRun(dir, key, async () =>
          trainOnlineStage(ctx, cfg, run, await gold(ctx.models), { ...upstream, dir }),
        ),
    });
  }
  return stages;
}

const PROXY_AGREEMENT_FILE = 'proxy-agreement.json';
/** The SFT policy's gold evaluation under the proxy, shared by the online runs' step 0. */
const SFT_GOLD_EVAL_FILE = 'sft-gold-eval.json';

function bar(ctx: StageContext, name: string, total: number, show: (m: Record<string, number>) => string) {
  return ctx.progress ? stageProgress(name, total, show) : { update: () => {}, stop: () => {} };
}

async function trainSftStage(
  ctx: StageContext,
  cfg: DemoConfig,
  d: { dataDir: string; initDir: string; sftDir: string },
): Promise<void> {
  const { examples } = await loadSftDataset(join(d.dataDir, LAB_FILES.sftTrain));
  const { examples: evalExamples } = await loadSftDataset(join(d.dataDir, LAB_FILES.sftEval));
  const { model, tokenizer } = await ctx.models.loadCausalLM(d.initDir);
  const config = SftConfigSchema.parse({
    model: d.initDir,
    out: d.sftDir,
    data: { train: join(d.dataDir, LAB_FILES.sftTrain) },
    maxPromptTokens: MAX_PROMPT_TOKENS,
    maxTotalTokens: MAX_TOTAL_TOKENS,
    steps: cfg.sft.steps,
    batchSize: cfg.sft.batchSize,
    optim: { lr: cfg.sft.lr, warmupSteps: cfg.sft.warmupSteps },
    evalEvery: cfg.sft.evalEvery,
    checkpointEvery: cfg.sft.checkpointEvery,
    seed: cfg.seed,
  });
  const progress = bar(ctx, 'SFT', cfg.sft.steps, (m) => `loss ${fmt(m.loss)}`);
  await trainSft({
    config,
    model,
    tokenizer,
    train: examples,
    eval: evalExamples,
    name: 'sft',
    log: ctx.log,
    onStep: (s, m) => progress.update(s, m),
  });
  progress.stop();
}

/** Preference pairs of SFT samples and references, labelled by the simulated (Bradley-Terry) labeller. */
async function writePreferenceStage(
  ctx: StageContext,
  cfg: DemoConfig,
  sftDir: string,
  prefDir: string,
): Promise<void> {
  const policy = await ctx.models.loadPolicy(join(sftDir, 'model'), { trainable: false });
  const p = cfg.preferences;
  try {
    for (const split of ['train', 'eval'] as const) {
      const rows = buildPolicyPreferenceData({
        models: ctx.models,
        policy,
        posts: generatePreferencePosts({
          seed: cfg.seed,
          n: split === 'train' ? p.posts : p.evalPosts,
          split,
        }),
        samplesPerPost: p.samplesPerPost,
        pairsPerPost: split === 'train' ? p.pairsPerPost : 1,
        temperature: p.temperature,
        maxNewTokens: cfg.maxNewTokens,
        labelTemperature: p.labelTemperature,
        seed: cfg.seed + (split === 'train' ? 0 : 1),
      });
      await writePreferenceFile(prefDir, split, rows);
      if (split === 'train')
        ctx.log(`preferences: ${rows.length} gold-labelled pairs of SFT samples and references`);
    }
  } finally {
    policy.model.dispose();
  }
}

async function trainRewardModelStage(
  ctx: StageContext,
  cfg: DemoConfig,
  d: { sftDir: string; prefDir: string; rmDir: string },
): Promise<void> {
  const { examples } = await loadPreferenceDataset(join(d.prefDir, LAB_FILES.preferenceTrain));
  const { examples: evalExamples } = await loadPreferenceDataset(join(d.prefDir, LAB_FILES.preferenceEval));
  const sftModel = join(d.sftDir, 'model');
  const { model, tokenizer } = await ctx.models.loadRewardModel(sftModel, { seed: cfg.seed });
  const config = RewardModelConfigSchema.parse({
    model: sftModel,
    out: d.rmDir,
    data: { train: join(d.prefDir, LAB_FILES.preferenceTrain) },
    maxPromptTokens: MAX_PROMPT_TOKENS,
    maxTotalTokens: MAX_TOTAL_TOKENS,
    steps: cfg.rm.steps,
    batchSize: cfg.rm.batchSize,
    optim: { lr: cfg.rm.lr, warmupSteps: cfg.rm.warmupSteps },
    evalEvery: cfg.rm.evalEvery,
    checkpointEvery: cfg.rm.checkpointEvery,
    seed: cfg.seed,
  });
  const progress = bar(ctx, 'reward model (proxy)', cfg.rm.steps, (m) => `acc ${fmt(m.accuracy, 2)}`);
  await trainRewardModel({
    config,
    model,
    tokenizer,
    train: examples,
    eval: evalExamples,
    name: 'reward-model',
    log: ctx.log,
    onStep: (s, m) => progress.update(s, m),
  });
  progress.stop();
}

/** What an offline arm trains with: its pairs (the first `po.pairs`), its model and its parsed config. */
async function offlineArmSetup(
  ctx: StageContext,
  cfg: DemoConfig,
  arm: OfflineArm,
  d: { sftDir: string; prefDir: string; dir: string },
) {
  const all = (await loadPreferenceDataset(join(d.prefDir, LAB_FILES.preferenceTrain))).examples;
  const examples = all.slice(0, cfg.po.pairs);
  const { examples: evalExamples } = await loadPreferenceDataset(join(d.prefDir, LAB_FILES.preferenceEval));
  const sftModel = join(d.sftDir, 'model');
  const { model, tokenizer } = await ctx.models.loadCausalLM(sftModel);
  const limits = { maxPromptTokens: MAX_PROMPT_TOKENS, maxTotalTokens: MAX_TOTAL_TOKENS };
  const meanLength = meanResponseLength(tokenizer, examples, limits);
  const beta = arm.betaPerMeanLength ? arm.beta / meanLength : arm.beta;
  const epochSteps = Math.max(1, Math.round(examples.length / cfg.po.batchSize));
  const steps = epochSteps * cfg.po.epochs;
  const evalEvery = Math.max(1, Math.round(epochSteps / cfg.po.evalsPerEpoch));
  const config = PreferenceConfigSchema.parse({
    model: sftModel,
    out: d.dir,
    data: { train: join(d.prefDir, LAB_FILES.preferenceTrain) },
    loss: arm.loss,
    beta,
    gamma: arm.gamma,
    lengthNormalize: arm.lengthNormalize,
    ...limits,
    steps,
    batchSize: cfg.po.batchSize,
    optim: { lr: arm.loss === 'dpo' ? cfg.po.lr : cfg.po.simpoLr, schedule: 'constant' },
    evalEvery,
    checkpointEvery: evalEvery,
    seed: cfg.seed,
  });
  const policy = Object.assign(new LMPolicy(model), { tokenizer });
  return {
    examples,
    evalExamples,
    sftModel,
    model,
    tokenizer,
    policy,
    meanLength,
    epochSteps,
    steps,
    config,
  };
}

async function trainOfflineStage(
  ctx: StageContext,
  cfg: DemoConfig,
  arm: OfflineArm,
  gold: GoldEvaluation,
  d: { sftDir: string; prefDir: string; dir: string },
): Promise<void> {
  const s = await offlineArmSetup(ctx, cfg, arm, d);
  const progress = bar(ctx, arm.title, s.steps, (m) => `acc ${fmt(m['rewards/accuracies'], 2)}`);
  await trainPreference({
    config: s.config,
    policy: s.model,
    tokenizer: s.tokenizer,
    train: s.examples,
    eval: s.evalExamples,
    name: arm.name,
    labels: {
      gamma: arm.gamma,
      lengthNormalize: arm.lengthNormalize,
      meanResponseLength: s.meanLength,
      pairs: s.examples.length,
      epochSteps: s.epochSteps,
    },
    // The gold judge every half epoch: stability is peak − final over these evaluations.
    evaluateMore: () => gold.evaluate(s.policy),
    log: ctx.log,
    referenceDir: s.sftModel,
    loadReference: async () => (await ctx.models.loadCausalLM(s.sftModel)).model,
    onStep: (step, m) => progress.update(step, m),
  });
  progress.stop();
}

/**
 * On-policy SimPO (claim 4's data-constraint arm): offline SimPO's config, prompts and budget, with
 * pairs of the policy's own samples ranked by the proxy, redrawn `po.onPolicy.roundsPerEpoch` times
 * an epoch; the gold judge (with the proxy's score) after each round.
 */
async function trainOnPolicyStage(
  ctx: StageContext,
  cfg: DemoConfig,
  gold: GoldEvaluation,
  d: { sftDir: string; prefDir: string; rmDir: string; dir: string },
): Promise<void> {
  const arm = offlineArms(cfg).find((a) => a.name === 'simpo')!;
  const s = await offlineArmSetup(ctx, cfg, arm, d);
  const proxy = await ctx.models.loadRewardFunction(join(d.rmDir, 'model'));
  const progress = bar(ctx, 'SimPO on-policy', s.steps, (m) => `acc ${fmt(m['rewards/accuracies'], 2)}`);
  try {
    await trainOnPolicySimpo({
      config: s.config,
      pairs: cfg.po.onPolicy,
      models: ctx.models,
      policy: s.policy,
      proxy,
      prompts: s.examples.map((e) => e.prompt),
      epochSteps: s.epochSteps,
      maxNewTokens: cfg.maxNewTokens,
      name: ON_POLICY_SIMPO,
      labels: {
        gamma: arm.gamma,
        lengthNormalize: arm.lengthNormalize,
        data: 'on-policy',
        pairs: s.examples.length,
        epochSteps: s.epochSteps,
      },
      evaluate: () => gold.evaluate(s.policy, proxy),
      log: ctx.log,
      onStep: (step, m) => progress.update(step, m),
    });
  } finally {
    progress.stop();
    s.model.dispose();
    proxy.model.dispose();
  }
}

/** Mean completion length in tokens (EOS included, as the losses count it) over both sides of the pairs. */
function meanResponseLength(
  tokenizer: Parameters<typeof encodePairs>[0],
  pairs: Parameters<typeof encodePairs>[1],
  limits: Parameters<typeof encodePairs>[2],
): number {
  const encoded = encodePairs(tokenizer, pairs, limits);
  const lengths = encoded.flatMap((p) => [p.chosen, p.rejected].map((e) => e.ids.length - e.promptLength));
  return lengths.reduce((s, x) => s + x, 0) / Math.max(1, lengths.length);
}

/** The task's headroom on the gold-evaluation posts: the oracle's and a perfect terse imitator's win rates. */
export function demoHeadroom(dataDir: string, cfg: DemoConfig): DemoHeadroom {
  const rows = readLabRows(join(dataDir, LAB_FILES.sftEval), cfg.data.rlEvalPrompts);
  const facts = rows.map((r) => r.facts);
  const references = rows.map((r) => r.reference_response);
  const oracle = winRate(
    facts,
    rows.map((r) => completeSummary(r.facts)),
    references,
  );
  const terse = winRate(
    facts,
    rows.map((r) => formatSummaryForm(r.facts, TERSE_FORM)),
    references,
  );
  return { oracleWinRate: oracle, terseWinRate: terse };
}

/** Proxy-vs-gold agreement in and out of the SFT distribution, written once beside the reward model. */
function recordProxyAgreement(
  rmDir: string,
  prefDir: string,
  cfg: DemoConfig,
  proxy: ProxyReward,
  log: (m: string) => void,
): void {
  const file = join(rmDir, PROXY_AGREEMENT_FILE);
  if (existsSync(file)) return;
  const evalPairs = readLabRows<LabPreferenceRow>(join(prefDir, LAB_FILES.preferenceEval));
  const posts = generatePreferencePosts({ seed: cfg.seed, n: cfg.preferences.evalPosts, split: 'eval' });
  const a = proxyGoldAgreement(proxy, evalPairs, posts, MAX_PROMPT_TOKENS, cfg.seed);
  writeFileAtomic(file, `${JSON.stringify(a, null, 2)}\n`);
  const probes = Object.entries(a.probes)
    .map(([k, v]) => `${k} ${fmt(v.agreement, 2)}`)
    .join(', ');
  log(
    `proxy vs gold: in distribution ${fmt(a.inDistribution.agreement, 3)} (${a.inDistribution.pairs} pairs), ` +
      `complete > terse ${fmt(a.completeOverTerse.agreement, 2)}; off distribution (terse > probe): ${probes}`,
  );
}

async function cachedRun(dir: string, key: string, run: () => Promise<void>): Promise<void> {
  if (isCached(dir, key, RunDir.isDone)) return;
  mkdirSync(dir, { recursive: true });
  markStage(dir, key);
  await run();
}

/** One run of the online grid. */
export interface OnlineGridRun {
  name: string;
  regularizer: Record<string, unknown>;
  lr: number;
  coef: number;
  /** Labels beside the trainer's: the run's role in the claims and its entropy coefficient α. */
  labels: { arm: 'kl' | 'maxent-low-rate' | 'entropy-dose'; alpha: number | null };
  ppo?: DemoConfig['ppo'];
}

/**
 * The online grid, every run at the same budget (steps × constant rate):
 *   KL-regularised RLOO at each rate; Maximum-Entropy RLOO (α ∈ entropyCoefs, no reference) at the
 *   rates below the highest (claim 1); the entropy dose α ∈ entropyDose at the highest rate, no KL
 *   (claim 5; α = 0 is the unregularised run); KL-regularised PPO.
 */
export function onlineGrid(cfg: DemoConfig): OnlineGridRun[] {
  const grid: OnlineGridRun[] = [];
  const top = Math.max(...cfg.rl.lrs);
  const kl = { kl: { coef: cfg.rl.klCoef } };
  for (const lr of cfg.rl.lrs) {
    grid.push({
      name: `kl-b${cfg.rl.klCoef}-lr${lr}`,
      regularizer: kl,
      lr,
      coef: cfg.rl.klCoef,
      labels: { arm: 'kl', alpha: null },
    });
    if (lr < top)
      for (const a of cfg.rl.entropyCoefs)
        grid.push({
          name: `maxent-a${a}-lr${lr}`,
          regularizer: { entropy: { coef: a } },
          lr,
          coef: a,
          labels: { arm: 'maxent-low-rate', alpha: a },
        });
  }
  for (const a of cfg.rl.entropyDose)
    grid.push({
      name: a === 0 ? `none-lr${top}` : `maxent-a${a}-lr${top}`,
      regularizer: a === 0 ? {} : { entropy: { coef: a } },
      lr: top,
      coef: a,
      labels: { arm: 'entropy-dose', alpha: a },
    });
  for (const lr of cfg.ppo.lrs)
    grid.push({
      name: `ppo-kl-b${cfg.rl.klCoef}-lr${lr}`,
      regularizer: kl,
      lr,
      coef: cfg.rl.klCoef,
      labels: { arm: 'kl', alpha: null },
      ppo: cfg.ppo,
    });
  return grid;
}

async function trainOnlineStage(
  ctx: StageContext,
  cfg: DemoConfig,
  g: OnlineGridRun,
  gold: GoldEvaluation,
  up: { dataDir: string; sftDir: string; rmDir: string; dir: string },
): Promise<void> {
  const { models } = ctx;
  const { examples: trainPrompts } = await loadSftDataset(join(up.dataDir, LAB_FILES.sftTrain));
  const sftModel = join(up.sftDir, 'model');
  const policy = await models.loadPolicy(sftModel, { trainable: true, valueHead: g.ppo !== undefined });
  // The reference is loaded for every run so KL(π‖π_ref) can be *measured*; only the KL runs train against it.
  const reference = await models.loadPolicy(sftModel, { trainable: false });
  const proxy = await models.loadRewardFunction(join(up.rmDir, 'model'));
  const algorithm = g.ppo
    ? {
        algorithm: 'ppo',
        promptsPerStep: cfg.rl.promptsPerStep * cfg.rl.k,
        ppo: { epochs: g.ppo.epochs, minibatchSize: g.ppo.minibatchSize },
      }
    : {
        algorithm: 'rloo',
        promptsPerStep: cfg.rl.promptsPerStep,
        rloo: { k: cfg.rl.k, epochs: 1, minibatchSize: cfg.rl.promptsPerStep * cfg.rl.k },
      };
  const config = OnlineTrainConfigSchema.parse({
    ...algorithm,
    steps: cfg.rl.steps,
    lr: g.lr,
    schedule: cfg.rl.schedule,
    temperature: cfg.rl.temperature,
    maxNewTokens: cfg.maxNewTokens,
    regularizer: g.regularizer,
    evalEvery: cfg.rl.evalEvery,
    klPrev: cfg.rl.klPrev,
    checkpointEvery: cfg.rl.checkpointEvery,
    seed: cfg.seed,
  });
  const progress = bar(
    ctx,
    `RL ${g.name}`,
    cfg.rl.steps,
    (m) => `score ${fmt(m['objective/scores'], 2)} win ${fmt(m['eval/win_rate'], 2)}`,
  );
  let lastWin: number | undefined;
  try {
    await trainOnline({
      runDir: up.dir,
      name: g.name,
      config,
      policy,
      reference,
      reward: proxy.reward,
      prompts: models.promptSource(
        policy.tokenizer,
        trainPrompts.map((e) => e.prompt),
      ),
      // Step 0 is the SFT policy in every run of the grid: evaluated once per proxy (in its folder).
      evaluator: (_p, step) =>
        step === 0
          ? gold.evaluateShared(join(up.rmDir, SFT_GOLD_EVAL_FILE), policy, proxy)
          : gold.evaluate(policy, proxy),
      labels: { model: 'lab-tiny', ...g.labels },
      log: ctx.log,
      onStep: (s, m) => {
        lastWin = m['eval/win_rate'] ?? lastWin;
        progress.update(s, { ...m, 'eval/win_rate': lastWin ?? Number.NaN });
      },
    });
  } finally {
    progress.stop();
    for (const m of [policy.model, reference.model, proxy.model]) m.dispose();
  }
}

/**
 * Best-of-n from the SFT policy under the proxy reward model, on the first gold-evaluation posts:
 * proxy score, gold score and win rate of the chosen summaries for each n, with KL log n − (n−1)/n.
 */
async function runBestOfNStage(
  { models, log }: StageContext,
  dir: string,
  cfg: DemoConfig,
  gold: GoldEvaluation,
  up: { sftDir: string; rmDir: string },
): Promise<void> {
  const policy = await models.loadPolicy(join(up.sftDir, 'model'), { trainable: false });
  const proxy = await models.loadRewardFunction(join(up.rmDir, 'model'));
  const prompts = Math.min(cfg.bon.prompts, gold.size);
  try {
    await runBestOfN({
      runDir: dir,
      name: 'best-of-n',
      config: cfg.bon,
      labels: { model: 'lab-tiny', seed: cfg.seed },
      policy,
      reward: proxy.reward,
      prompts: gold.promptSource(policy.tokenizer),
      indices: Array.from({ length: prompts }, (_, i) => i),
      n: cfg.bon.n,
      temperature: cfg.bon.temperature,
      maxNewTokens: cfg.maxNewTokens,
      missingEosPenalty: cfg.bon.missingEosPenalty,
      seed: cfg.seed,
      batchSize: cfg.bon.batchSize,
      decode: (tokens) => policy.tokenizer.decode(tokens, { unknownIds: 'skip' }),
      evaluate: (r) =>
        gold.judgeResponses(r.responses.map((t) => policy.tokenizer.decode(t, { unknownIds: 'skip' }))),
      log,
    });
  } finally {
    policy.model.dispose();
    proxy.model.dispose();
  }
}
