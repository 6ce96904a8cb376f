/**
 * `maxent-rlhf demo`: the paper's pipeline, end to end, on the built-in synthetic TL;DR lab.
 *
 *   data → init → SFT → preference data (SFT samples + references, gold-labelled with Bradley-Terry
 *        noise) → reward model (the proxy) → DPO, SimPO and its ablations (several epochs, gold every
 *        half epoch) → best-of-n → online RLHF at one budget: KL-regularised (β) at each rate,
 *        Maximum-Entropy (no reference) at the lower rate, the entropy dose without KL at the higher
 *        rate, PPO
 *
 * Every stage is a real training run in its own run folder, cached by its settings. Each training
 * stage writes the config a user would write (the keys of `maxent-rlhf sft|rm|po|rl|bon`, its knobs
 * from the preset in config.ts) and hands it to src/experiments, the one place that turns a config
 * into a run, with the lab's gold judge injected as the evaluator. The `demo` command
 * (src/cli/commands/demo.ts) then hands the folders to src/report, which writes the report.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadPreferenceDataset } from '../../data/index.ts';
import { runBon } from '../../experiments/best-of-n.ts';
import { runPo, runRl, runRm, runSft } from '../../experiments/train.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { makeDirs } from '../../io/make-dirs.ts';
import { Tokenizer } from '../../models/index.ts';
import { RunDir } from '../../runs/run-dir.ts';
import { LabModels, type ProxyReward } from '../../trainers/adapters/index.ts';
import { encodePairs } from '../../trainers/offline/batching.ts';
import { PreferenceConfigSchema } from '../../trainers/offline/config.ts';
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
import {
  DEMO_PRESETS,
  type DemoConfig,
  type DemoPreset,
  type LabFamily,
  type OfflineStageConfig,
} from './config.ts';
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
  /** The architecture of the lab's models (default gpt_neox). */
  family?: LabFamily;
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

/** labels.model of the demo's runs: the report groups figures by it. */
const LAB_MODEL_LABEL = 'lab-tiny';

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
export function demoConfig(preset: DemoPreset, seed?: number, family?: LabFamily): DemoConfig {
  const p = DEMO_PRESETS[preset];
  const withSeed = seed === undefined ? p : { ...p, seed };
  // GPT-NeoX stays unnamed, so the default pipeline's stage keys (and caches) are unchanged.
  return family === undefined || family === 'gpt_neox'
    ? withSeed
    : { ...withSeed, model: { ...withSeed.model, family } };
}

/** Runs the pipeline for one seed in this process, stage after stage (`demo --jobs 1`). */
export async function runDemo(o: DemoOptions): Promise<DemoHeadroom> {
  const cfg = demoConfig(o.preset, o.seed, o.family);
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
      await runBestOfNStage(ctx, bonDir, cfg, { dataDir, sftDir, rmDir });
    },
  });
  const upstream = { dataDir, sftDir, rmDir };
  for (const run of onlineGrid(cfg)) {
    const dir = join(out, 'rl', run.name);
    // The run's own settings (its rate and coefficient are in `run`), not the grid's lists.
    const { lrs: _lrs, entropyCoefs: _coefs, entropyDose: _dose, ...rl } = cfg.rl;
    // PPO's value head is drawn with the run's seed, as by `maxent-rlhf rl` (before issue 27 the
    // demo drew it with seed 0): the marker retrains PPO folders cached before that.
    const valueHead = run.ppo ? ['value head drawn with the seed'] : [];
    const key = stageKey('rl', run, rl, stageKey(sftKey, rmKey), ...valueHead);
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

/** The CLI's progress lines are off in the demo: its stages draw their own bars and log to `ctx.log`. */
function stageIO(ctx: StageContext) {
  return { io: { print: () => {}, log: ctx.log } };
}

function trainSftStage(
  ctx: StageContext,
  cfg: DemoConfig,
  d: { dataDir: string; initDir: string; sftDir: string },
): Promise<string> {
  const progress = bar(ctx, 'SFT', cfg.sft.steps, (m) => `loss ${fmt(m.loss)}`);
  return runSft(
    {
      model: d.initDir,
      out: d.sftDir,
      data: { train: join(d.dataDir, LAB_FILES.sftTrain), eval: join(d.dataDir, LAB_FILES.sftEval) },
      ...offlineStageKnobs(cfg, cfg.sft),
    },
    { ...stageIO(ctx), name: 'sft', onStep: (s, m) => progress.update(s, m) },
  ).finally(() => progress.stop());
}

/** The knobs of an SFT or reward-model stage, in the training commands' config keys. */
function offlineStageKnobs(cfg: DemoConfig, stage: OfflineStageConfig) {
  return {
    maxPromptTokens: MAX_PROMPT_TOKENS,
    maxTotalTokens: MAX_TOTAL_TOKENS,
    steps: stage.steps,
    batchSize: stage.batchSize,
    optim: { lr: stage.lr, warmupSteps: stage.warmupSteps },
    evalEvery: stage.evalEvery,
    checkpointEvery: stage.checkpointEvery,
    seed: cfg.seed,
  };
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

function trainRewardModelStage(
  ctx: StageContext,
  cfg: DemoConfig,
  d: { sftDir: string; prefDir: string; rmDir: string },
): Promise<string> {
  const progress = bar(ctx, 'reward model (proxy)', cfg.rm.steps, (m) => `acc ${fmt(m.accuracy, 2)}`);
  return runRm(
    {
      model: join(d.sftDir, 'model'),
      out: d.rmDir,
      data: {
        train: join(d.prefDir, LAB_FILES.preferenceTrain),
        eval: join(d.prefDir, LAB_FILES.preferenceEval),
      },
      ...offlineStageKnobs(cfg, cfg.rm),
    },
    { ...stageIO(ctx), name: 'reward-model', onStep: (s, m) => progress.update(s, m) },
  ).finally(() => progress.stop());
}

/**
 * An offline arm's pairs (the first `po.pairs`), schedule and run config as `po` takes it; on-policy
 * SimPO takes SimPO's, so both train with the same settings.
 */
async function offlineArmRun(
  cfg: DemoConfig,
  arm: OfflineArm,
  d: { sftDir: string; prefDir: string; dir: string },
) {
  const train = join(d.prefDir, LAB_FILES.preferenceTrain);
  const examples = (await loadPreferenceDataset(train, { limit: cfg.po.pairs })).examples;
  const sftModel = join(d.sftDir, 'model');
  const limits = { maxPromptTokens: MAX_PROMPT_TOKENS, maxTotalTokens: MAX_TOTAL_TOKENS };
  const meanLength = meanResponseLength(await Tokenizer.fromFolder(sftModel), examples, limits);
  const epochSteps = Math.max(1, Math.round(examples.length / cfg.po.batchSize));
  const steps = epochSteps * cfg.po.epochs;
  const evalEvery = Math.max(1, Math.round(epochSteps / cfg.po.evalsPerEpoch));
  const config = {
    model: sftModel,
    out: d.dir,
    data: { train, eval: join(d.prefDir, LAB_FILES.preferenceEval), limit: cfg.po.pairs },
    loss: arm.loss,
    beta: arm.betaPerMeanLength ? arm.beta / meanLength : arm.beta,
    gamma: arm.gamma,
    lengthNormalize: arm.lengthNormalize,
    ...limits,
    steps,
    batchSize: cfg.po.batchSize,
    optim: { lr: arm.loss === 'dpo' ? cfg.po.lr : cfg.po.simpoLr, schedule: 'constant' as const },
    evalEvery,
    checkpointEvery: evalEvery,
    seed: cfg.seed,
  };
  return { examples, sftModel, meanLength, epochSteps, steps, config };
}

async function trainOfflineStage(
  ctx: StageContext,
  cfg: DemoConfig,
  arm: OfflineArm,
  gold: GoldEvaluation,
  d: { sftDir: string; prefDir: string; dir: string },
): Promise<string> {
  const r = await offlineArmRun(cfg, arm, d);
  const progress = bar(ctx, arm.title, r.steps, (m) => `acc ${fmt(m['rewards/accuracies'], 2)}`);
  return runPo(r.config, {
    ...stageIO(ctx),
    name: arm.name,
    labels: {
      gamma: arm.gamma,
      lengthNormalize: arm.lengthNormalize,
      meanResponseLength: r.meanLength,
      pairs: r.examples.length,
      epochSteps: r.epochSteps,
    },
    // The gold judge every half epoch: stability is peak − final over these evaluations.
    evaluateMore: (policy) => () => gold.evaluate(policy),
    onStep: (s, m) => progress.update(s, m),
  }).finally(() => progress.stop());
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
  const s = await offlineArmRun(cfg, arm, d);
  const policy = await ctx.models.loadPolicy(s.sftModel, { trainable: true });
  const proxy = await ctx.models.loadRewardFunction(join(d.rmDir, 'model'));
  const progress = bar(ctx, 'SimPO on-policy', s.steps, (m) => `acc ${fmt(m['rewards/accuracies'], 2)}`);
  try {
    await trainOnPolicySimpo({
      config: PreferenceConfigSchema.parse(s.config),
      pairs: cfg.po.onPolicy,
      models: ctx.models,
      policy,
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
      evaluate: () => gold.evaluate(policy, proxy),
      log: ctx.log,
      onStep: (step, m) => progress.update(step, m),
    });
  } finally {
    progress.stop();
    policy.model.dispose();
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

async function cachedRun(dir: string, key: string, run: () => Promise<unknown>): Promise<void> {
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

function trainOnlineStage(
  ctx: StageContext,
  cfg: DemoConfig,
  g: OnlineGridRun,
  gold: GoldEvaluation,
  up: { dataDir: string; sftDir: string; rmDir: string; dir: string },
): Promise<string> {
  const sftModel = join(up.sftDir, 'model');
  const algorithm = g.ppo
    ? {
        algorithm: 'ppo' as const,
        promptsPerStep: cfg.rl.promptsPerStep * cfg.rl.k,
        ppo: { epochs: g.ppo.epochs, minibatchSize: g.ppo.minibatchSize },
      }
    : {
        algorithm: 'rloo' as const,
        promptsPerStep: cfg.rl.promptsPerStep,
        rloo: { k: cfg.rl.k, epochs: 1, minibatchSize: cfg.rl.promptsPerStep * cfg.rl.k },
      };
  const progress = bar(
    ctx,
    `RL ${g.name}`,
    cfg.rl.steps,
    (m) => `score ${fmt(m['objective/scores'], 2)} win ${fmt(m['eval/win_rate'], 2)}`,
  );
  let lastWin: number | undefined;
  return runRl(
    {
      modelLabel: LAB_MODEL_LABEL,
      model: sftModel,
      // Loaded for every run so KL(π‖π_ref) is *measured*; only the KL runs train against it.
      reference: sftModel,
      reward: join(up.rmDir, 'model'),
      out: up.dir,
      data: { prompts: join(up.dataDir, LAB_FILES.sftTrain) },
      maxPromptTokens: MAX_PROMPT_TOKENS,
      ...algorithm,
      steps: cfg.rl.steps,
      optim: { lr: g.lr, schedule: cfg.rl.schedule },
      temperature: cfg.rl.temperature,
      maxNewTokens: cfg.maxNewTokens,
      regularizer: g.regularizer,
      evalEvery: cfg.rl.evalEvery,
      klPrev: cfg.rl.klPrev,
      checkpointEvery: cfg.rl.checkpointEvery,
      seed: cfg.seed,
    },
    {
      ...stageIO(ctx),
      name: g.name,
      labels: g.labels,
      // The gold judge on the held-out posts. Step 0 is the SFT policy in every run of the grid:
      // evaluated once per proxy (in its folder).
      evaluator:
        ({ policy, proxy }) =>
        (_p, step) =>
          step === 0
            ? gold.evaluateShared(join(up.rmDir, SFT_GOLD_EVAL_FILE), policy, proxy)
            : gold.evaluate(policy, proxy),
      onStep: (s, m) => {
        lastWin = m['eval/win_rate'] ?? lastWin;
        progress.update(s, { ...m, 'eval/win_rate': lastWin ?? Number.NaN });
      },
    },
  ).finally(() => progress.stop());
}

/**
 * Best-of-n from the SFT policy under the proxy reward model, on the first gold-evaluation posts:
 * proxy score, gold score and win rate of the chosen summaries for each n, with KL log n − (n−1)/n.
 */
function runBestOfNStage(
  ctx: StageContext,
  dir: string,
  cfg: DemoConfig,
  up: { dataDir: string; sftDir: string; rmDir: string },
): Promise<string> {
  const { prompts, ...bon } = cfg.bon;
  return runBon(
    {
      name: 'best-of-n',
      modelLabel: LAB_MODEL_LABEL,
      model: join(up.sftDir, 'model'),
      reward: join(up.rmDir, 'model'),
      out: dir,
      data: {
        prompts: join(up.dataDir, LAB_FILES.sftEval),
        limit: Math.min(prompts, cfg.data.rlEvalPrompts),
      },
      maxPromptTokens: MAX_PROMPT_TOKENS,
      ...bon,
      judge: 'lab',
      maxNewTokens: cfg.maxNewTokens,
      seed: cfg.seed,
    },
    { io: { print: ctx.log, log: ctx.log } },
  );
}
