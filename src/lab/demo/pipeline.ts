/**
 * `maxent-rlhf demo`: the paper's pipeline, end to end, on the built-in synthetic TL;DR lab.
 *
 *   data → init → SFT → preference data (SFT samples + references, gold-labelled with Bradley-Terry
 *        noise) → reward model (the proxy) → DPO, SimPO
 *        → online RLHF: KL-regularised (β) and Maximum-Entropy (α ∈ grid, no reference) × learning rates
 *
 * Every stage is a real training run in its own run folder, cached by its settings. The `demo`
 * command then writes the report of these runs (src/cli/commands/demo.ts).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPreferenceDataset, loadSftDataset } from '../../data/index.ts';
import { LabModels } from '../../trainers/adapters/index.ts';
import { RunDir } from '../../trainers/common/run-dir.ts';
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
import { GoldEvaluation } from './gold-eval.ts';
import { readLabRows, writeLabFiles } from './lab-files.ts';
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

/**
 * The offline runs: DPO, SimPO at its own defaults (β = 2, γ/β = 0.5), and the two ablations of
 * SimPO's stabilisers (Meng et al. 2024, §4): no target margin (γ = 0) and no length normalisation.
 */
export const OFFLINE_VARIANTS = [
  { name: 'dpo', title: 'DPO', loss: 'dpo', gamma: 'preset', lengthNormalize: true },
  { name: 'simpo', title: 'SimPO', loss: 'simpo', gamma: 'preset', lengthNormalize: true },
  { name: 'simpo-gamma0', title: 'SimPO γ=0', loss: 'simpo', gamma: 0, lengthNormalize: true },
  {
    name: 'simpo-no-length-norm',
    title: 'SimPO no len-norm',
    loss: 'simpo',
    gamma: 'preset',
    lengthNormalize: false,
  },
] as const;

/** Longest prompt + response of the SFT, reward-model and preference data. */
const MAX_TOTAL_TOKENS = LAB_MODEL_MAX_LENGTH;

/** The task's headroom on the gold-evaluation posts (computed from the data, no model). */
export interface DemoHeadroom {
  /** Win rate of the complete summary (the best gold summary per post). */
  oracleWinRate: number;
  /** Win rate of a perfect imitator of the references' terse habit. */
  terseWinRate: number;
}

export async function runDemo(o: DemoOptions): Promise<DemoHeadroom> {
  const preset = DEMO_PRESETS[o.preset];
  const cfg: DemoConfig = o.seed === undefined ? preset : { ...preset, seed: o.seed };
  const log = o.log ?? ((m: string) => console.error(m));
  if (o.fresh) rmSync(o.out, { recursive: true, force: true });
  mkdirSync(o.out, { recursive: true });
  const models = new LabModels();

  const dataKey = stageKey('data', cfg.seed, cfg.data);
  const dataDir = join(o.out, 'data');
  if (!isCached(dataDir, dataKey, (d) => existsSync(join(d, LAB_FILES.tokenizerConfig)))) {
    await writeLabFiles(dataDir, cfg);
    markStage(dataDir, dataKey);
    log(`data: wrote the synthetic TL;DR lab to ${dataDir}`);
  }
  const headroom = logHeadroom(dataDir, cfg, log);

  const initKey = stageKey('init', cfg.model, cfg.seed, dataKey);
  const initDir = join(o.out, 'init');
  if (!isCached(initDir, initKey, (d) => existsSync(join(d, 'config.json')))) {
    await models.initModel(initDir, {
      ...cfg.model,
      tokenizerDir: dataDir,
      seed: cfg.seed,
      maxPositions: MAX_TOTAL_TOKENS + 8,
    });
    markStage(initDir, initKey);
  }

  const sftKey = stageKey('sft', cfg.sft, initKey);
  const sftDir = join(o.out, 'sft');
  await cachedRun(sftDir, sftKey, async () => {
    const { examples } = await loadSftDataset(join(dataDir, LAB_FILES.sftTrain));
    const { examples: evalExamples } = await loadSftDataset(join(dataDir, LAB_FILES.sftEval));
    const { model, tokenizer } = await models.loadCausalLM(initDir);
    const config = SftConfigSchema.parse({
      model: initDir,
      out: sftDir,
      data: { train: join(dataDir, LAB_FILES.sftTrain) },
      maxPromptTokens: MAX_PROMPT_TOKENS,
      maxTotalTokens: MAX_TOTAL_TOKENS,
      steps: cfg.sft.steps,
      batchSize: cfg.sft.batchSize,
      optim: { lr: cfg.sft.lr, warmupSteps: 20 },
      evalEvery: 100,
      checkpointEvery: 100,
      seed: cfg.seed,
    });
    const bar = stageProgress('SFT', cfg.sft.steps, (m) => `loss ${fmt(m.loss)}`);
    await trainSft({
      config,
      model,
      tokenizer,
      train: examples,
      eval: evalExamples,
      name: 'sft',
      log,
      onStep: (s, m) => bar.update(s, m),
    });
    bar.stop();
  });

  const prefKey = stageKey('preferences', cfg.preferences, cfg.maxNewTokens, sftKey);
  const prefDir = join(o.out, 'preferences');
  if (!isCached(prefDir, prefKey, (d) => existsSync(join(d, LAB_FILES.preferenceEval)))) {
    const policy = await models.loadPolicy(join(sftDir, 'model'), { trainable: false });
    const p = cfg.preferences;
    for (const split of ['train', 'eval'] as const) {
      const rows = buildPolicyPreferenceData({
        models,
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
        log(`preferences: ${rows.length} gold-labelled pairs of SFT samples and references`);
    }
    markStage(prefDir, prefKey);
  }

  const rmKey = stageKey('rm', cfg.rm, prefKey);
  const rmDir = join(o.out, 'rm');
  await cachedRun(rmDir, rmKey, async () => {
    const { examples } = await loadPreferenceDataset(join(prefDir, LAB_FILES.preferenceTrain));
    const { examples: evalExamples } = await loadPreferenceDataset(join(prefDir, LAB_FILES.preferenceEval));
    const { model, tokenizer } = await models.loadRewardModel(join(sftDir, 'model'), { seed: cfg.seed });
    const config = RewardModelConfigSchema.parse({
      model: join(sftDir, 'model'),
      out: rmDir,
      data: { train: join(prefDir, LAB_FILES.preferenceTrain) },
      maxPromptTokens: MAX_PROMPT_TOKENS,
      maxTotalTokens: MAX_TOTAL_TOKENS,
      steps: cfg.rm.steps,
      batchSize: cfg.rm.batchSize,
      optim: { lr: cfg.rm.lr, warmupSteps: 10 },
      evalEvery: 50,
      checkpointEvery: 100,
      seed: cfg.seed,
    });
    const bar = stageProgress('reward model (proxy)', cfg.rm.steps, (m) => `acc ${fmt(m.accuracy, 2)}`);
    await trainRewardModel({
      config,
      model,
      tokenizer,
      train: examples,
      eval: evalExamples,
      name: 'reward-model',
      log,
      onStep: (s, m) => bar.update(s, m),
    });
    bar.stop();
  });

  for (const variant of OFFLINE_VARIANTS) {
    const dir = join(o.out, 'po', variant.name);
    const key = stageKey('po', variant.name, cfg.po, prefKey);
    await cachedRun(dir, key, async () => {
      const { examples } = await loadPreferenceDataset(join(prefDir, LAB_FILES.preferenceTrain));
      const { examples: evalExamples } = await loadPreferenceDataset(join(prefDir, LAB_FILES.preferenceEval));
      const sftModel = join(sftDir, 'model');
      const { model, tokenizer } = await models.loadCausalLM(sftModel);
      const dpo = variant.loss === 'dpo';
      const config = PreferenceConfigSchema.parse({
        model: sftModel,
        out: dir,
        data: { train: join(prefDir, LAB_FILES.preferenceTrain) },
        loss: variant.loss,
        beta: dpo ? cfg.po.dpoBeta : cfg.po.simpoBeta,
        gamma: variant.gamma === 'preset' ? cfg.po.simpoGamma : variant.gamma,
        lengthNormalize: variant.lengthNormalize,
        maxPromptTokens: MAX_PROMPT_TOKENS,
        maxTotalTokens: MAX_TOTAL_TOKENS,
        steps: cfg.po.steps,
        batchSize: cfg.po.batchSize,
        optim: { lr: dpo ? cfg.po.lr : cfg.po.simpoLr, schedule: 'constant' },
        evalEvery: 40,
        checkpointEvery: 60,
        seed: cfg.seed,
      });
      const bar = stageProgress(variant.title, cfg.po.steps, (m) => `acc ${fmt(m['rewards/accuracies'], 2)}`);
      await trainPreference({
        config,
        policy: model,
        tokenizer,
        train: examples,
        eval: evalExamples,
        name: variant.name,
        log,
        referenceDir: sftModel,
        loadReference: async () => (await models.loadCausalLM(sftModel)).model,
        onStep: (s, m) => bar.update(s, m),
      });
      bar.stop();
    });
  }

  // Gold win rates of the offline policies (SFT, DPO, SimPO) with the same judge and eval posts.
  const gold = await GoldEvaluation.create(models, dataDir, cfg.data.rlEvalPrompts, cfg.maxNewTokens);
  const proxy = await models.loadRewardFunction(join(rmDir, 'model'));
  recordProxyAgreement(rmDir, prefDir, cfg, proxy, log);
  for (const dir of [sftDir, ...OFFLINE_VARIANTS.map((v) => join(o.out, 'po', v.name))])
    await gold.recordFinal(dir, proxy);
  await runBestOfNStage(join(o.out, 'bon'), stageKey('bon', cfg.bon, sftKey, rmKey), cfg, gold, {
    sftDir,
    rmDir,
    log,
  });

  await runOnlineGrid(
    o.out,
    cfg,
    models,
    { dataDir, sftDir, rmDir, key: stageKey(sftKey, rmKey) },
    gold,
    log,
  );
  return headroom;
}

/** The task's headroom on the gold-evaluation posts: the oracle's and a perfect terse imitator's win rates. */
function logHeadroom(dataDir: string, cfg: DemoConfig, log: (m: string) => void): DemoHeadroom {
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
  log(`task: oracle (complete summary) win rate ${fmt(oracle, 3)}, terse summary ${fmt(terse, 3)}`);
  return { oracleWinRate: oracle, terseWinRate: terse };
}

/** Proxy-vs-gold agreement in and out of the SFT distribution, written once beside the reward model. */
function recordProxyAgreement(
  rmDir: string,
  prefDir: string,
  cfg: DemoConfig,
  proxy: Awaited<ReturnType<LabModels['loadRewardFunction']>>,
  log: (m: string) => void,
): void {
  const file = join(rmDir, 'proxy-agreement.json');
  if (existsSync(file)) return;
  const evalPairs = readLabRows<LabPreferenceRow>(join(prefDir, LAB_FILES.preferenceEval));
  const posts = generatePreferencePosts({ seed: cfg.seed, n: cfg.preferences.evalPosts, split: 'eval' });
  const a = proxyGoldAgreement(proxy, evalPairs, posts, MAX_PROMPT_TOKENS, cfg.seed);
  writeFileSync(file, `${JSON.stringify(a, null, 2)}\n`);
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

interface Upstream {
  dataDir: string;
  sftDir: string;
  rmDir: string;
  key: string;
}

/** The paper's grid: a KL-regularised baseline and Maximum-Entropy runs per α, at each learning rate. */
async function runOnlineGrid(
  out: string,
  cfg: DemoConfig,
  models: LabModels,
  up: Upstream,
  gold: GoldEvaluation,
  log: (m: string) => void,
): Promise<void> {
  const { examples: trainPrompts } = await loadSftDataset(join(up.dataDir, LAB_FILES.sftTrain));
  const grid: {
    name: string;
    regularizer: Record<string, unknown>;
    lr: number;
    coef: number;
    ppo?: DemoConfig['ppo'];
  }[] = [];
  for (const lr of cfg.rl.lrs) {
    grid.push({
      name: `kl-b${cfg.rl.klCoef}-lr${lr}`,
      regularizer: { kl: { coef: cfg.rl.klCoef } },
      lr,
      coef: cfg.rl.klCoef,
    });
    for (const a of cfg.rl.entropyCoefs)
      grid.push({
        name: `maxent-a${a}-lr${lr}`,
        regularizer: { entropy: { coef: a } },
        lr,
        coef: a,
      });
  }
  for (const lr of cfg.ppo.lrs)
    grid.push({
      name: `ppo-kl-b${cfg.rl.klCoef}-lr${lr}`,
      regularizer: { kl: { coef: cfg.rl.klCoef } },
      lr,
      coef: cfg.rl.klCoef,
      ppo: cfg.ppo,
    });
  for (const g of grid) {
    const dir = join(out, 'rl', g.name);
    const key = stageKey('rl', g, cfg.rl, up.key);
    await cachedRun(dir, key, async () => {
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
        checkpointEvery: 20,
        seed: cfg.seed,
      });
      const evaluator = () => gold.evaluate(policy, proxy);
      const bar = stageProgress(
        `RL ${g.name}`,
        cfg.rl.steps,
        (m) => `score ${fmt(m['objective/scores'], 2)} win ${fmt(m['eval/win_rate'], 2)}`,
      );
      let lastWin: number | undefined;
      await trainOnline({
        runDir: dir,
        name: g.name,
        config,
        policy,
        reference,
        reward: proxy.reward,
        prompts: models.promptSource(
          policy.tokenizer,
          trainPrompts.map((e) => e.prompt),
        ),
        evaluator,
        labels: { model: 'lab-tiny' },
        log,
        onStep: (s, m) => {
          lastWin = m['eval/win_rate'] ?? lastWin;
          bar.update(s, { ...m, 'eval/win_rate': lastWin ?? Number.NaN });
        },
      });
      bar.stop();
    });
  }
}

/**
 * Best-of-n from the SFT policy under the proxy reward model, on the first gold-evaluation posts:
 * proxy score, gold score and win rate of the chosen summaries for each n, with KL log n − (n−1)/n.
 */
async function runBestOfNStage(
  dir: string,
  key: string,
  cfg: DemoConfig,
  gold: GoldEvaluation,
  up: { sftDir: string; rmDir: string; log: (m: string) => void },
): Promise<void> {
  if (isCached(dir, key, RunDir.isDone)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  markStage(dir, key);
  const models = new LabModels();
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
      missingEosPenalty: -1,
      seed: cfg.seed,
      batchSize: 8,
      decode: (tokens) => policy.tokenizer.decode(tokens, { unknownIds: 'skip' }),
      evaluate: (r) =>
        gold.judgeResponses(r.responses.map((t) => policy.tokenizer.decode(t, { unknownIds: 'skip' }))),
      log: up.log,
    });
  } finally {
    policy.model.dispose();
    proxy.model.dispose();
  }
}
