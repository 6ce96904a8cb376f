/**
 * The demo's settings: a scaled-down twin of the paper's grid that runs on a laptop CPU. Every knob
 * of the pipeline lives here; `default` is written out once, `quick` and `smoke` are the default
 * with overrides (measured timings: README, "What `npm run demo` does").
 */

/** Settings of one offline training stage (SFT, reward model) besides its data. */
export interface OfflineStageConfig {
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  /** Held-out loss every N steps. */
  evalEvery: number;
  checkpointEvery: number;
}

/**
 * The online grid. Every run has the same budget: `steps` updates at a constant rate, so a run's
 * summed learning rate is `steps · lr` (logged per step as `lr`, reported per run).
 */
export interface RlGridConfig {
  /** The lower and the higher learning rate (the paper: 1e-7 / 1e-6 on Pythia 1B; lab-scaled here). */
  lrs: number[];
  /** α of the Maximum-Entropy runs at the lower rate (claim 1: over-optimisation even at low rates). */
  entropyCoefs: number[];
  /**
   * The entropy dose at the higher rate, no KL penalty (claim 5): α = 0 is the unregularised run.
   * Paired by seed: every seed trains every dose on the same data, SFT policy and proxy.
   */
  entropyDose: number[];
  /** KL coefficient β of the KL-regularised runs (RLOO at every rate, PPO). */
  klCoef: number;
  steps: number;
  promptsPerStep: number;
  k: number;
  temperature: number;
  /**
   * Learning-rate schedule of every online run. `constant`: the lower rate gets the same number of
   * full-rate updates as the higher one (a linear anneal to 0 froze the lower-rate runs before they
   * could drift: issue 22).
   */
  schedule: 'constant' | 'linear';
  evalEvery: number;
  /**
   * KL(π_t‖π_{t−1}): `exact` over the lab's small vocabulary (a frozen copy and a second forward),
   * so "unstable KL" is measured above the importance-sampled estimator's noise.
   */
  klPrev: 'exact' | 'sampled';
  checkpointEvery: number;
}

/**
 * KL-regularised PPO (a value head on the policy) beside RLOO, with the RL grid's β, steps, temperature
 * and evaluations; prompts per step are promptsPerStep·k so that both see as many rollouts.
 */
export interface PpoGridConfig {
  lrs: number[];
  epochs: number;
  minibatchSize: number;
}

/** Best-of-n from the SFT policy under the proxy (Gao et al. 2023's non-RL curve). */
export interface BestOfNGridConfig {
  /** Gold-evaluation posts answered (the first of the RL evaluation posts). */
  prompts: number;
  /** The n of the curve; every n is read off the same max(n) draws. */
  n: number[];
  /** Sampling temperature (that of the RL rollouts). */
  temperature: number;
  /** Responses sampled per forward pass. */
  batchSize: number;
  /** Proxy score of a response that never emitted EOS (as the online runs). */
  missingEosPenalty: number;
  /**
   * Fresh draws per prompt estimating the reward CDF of the measured KL; 0: only the analytic
   * KL log n − (n−1)/n, which the report draws.
   */
  calibrationSamples: number;
}

/** The preference-data step: SFT samples plus references, labelled by the simulated labeller. */
export interface PreferenceDataConfig {
  /** Posts summarised for reward-model (and DPO/SimPO) training pairs. */
  posts: number;
  /** Held-out posts for the evaluation pairs. */
  evalPosts: number;
  /** Summaries sampled from the SFT policy per post. */
  samplesPerPost: number;
  /** Labelled pairs per post, among its distinct samples and its reference. */
  pairsPerPost: number;
  /** Sampling temperature of the SFT policy. */
  temperature: number;
  /** Bradley-Terry temperature of the labeller (gold-score units). */
  labelTemperature: number;
}

/**
 * Offline preference optimisation (DPO, SimPO and the SimPO ablations of claim 4). Every arm trains
 * `epochs` passes over the first `pairs` training pairs, with a gold evaluation every half epoch, so
 * that stability (peak − final gold win rate) is measured rather than one end point.
 */
export interface PreferenceOptimisationConfig {
  /** Training pairs used (the first of the preference data): small enough for several epochs. */
  pairs: number;
  epochs: number;
  batchSize: number;
  /** Gold evaluations per epoch (2: every half epoch). */
  evalsPerEpoch: number;
  /** DPO learning rate. */
  lr: number;
  /** SimPO learning rate: SimPO's own recipes use rates several times below DPO's. */
  simpoLr: number;
  dpoBeta: number;
  simpoBeta: number;
  /** SimPO's own target margin γ (γ/β = 0.5 at β = 2). */
  simpoGamma: number;
  /** The γ dose of claim 4 (SimPO's own γ is one of them; γ = 0 removes the margin). */
  gammaDose: number[];
  /**
   * On-policy SimPO, the data-constraint arm of claim 4: SimPO's β, γ, rate, batch and steps, on
   * pairs of the policy's own samples ranked by the proxy instead of the offline pairs.
   */
  onPolicy: OnPolicyPairSettings;
}

/** How on-policy SimPO makes its pairs (src/lab/demo/on-policy-simpo.ts). */
export interface OnPolicyPairSettings {
  /** Times per pass over the prompts that the policy's own pairs are redrawn (2: every half epoch). */
  roundsPerEpoch: number;
  /** Summaries sampled per prompt; the proxy's best and worst of them make the pair. */
  samplesPerPrompt: number;
  /** Sampling temperature (that of the SFT samples in the offline preference data). */
  temperature: number;
}

export interface DemoConfig {
  seed: number;
  model: {
    hidden: number;
    layers: number;
    heads: number;
    intermediate: number;
    /**
     * The architecture of every lab model (policy, reward model, critic): absent or 'gpt_neox' a
     * Pythia-shaped GPT-NeoX; 'llama' Llama/SmolLM-shaped (RMSNorm, SwiGLU, heads/2 key/value heads,
     * untied); 'qwen2' Qwen2-shaped (the same with q/k/v biases and a tied head).
     */
    family?: LabFamily;
  };
  data: {
    sftTrain: number;
    sftEval: number;
    /** Held-out posts of the gold evaluation (win rate against their references). */
    rlEvalPrompts: number;
  };
  preferences: PreferenceDataConfig;
  /** Response length limit of every sampled summary: preference data, RL rollouts, evaluation. */
  maxNewTokens: number;
  sft: OfflineStageConfig;
  rm: OfflineStageConfig;
  po: PreferenceOptimisationConfig;
  rl: RlGridConfig;
  ppo: PpoGridConfig;
  bon: BestOfNGridConfig;
}

export type DemoPreset = 'default' | 'quick' | 'smoke' | 'wide';

/** The architectures the lab can train (`demo --family`). */
export const LAB_FAMILIES = ['gpt_neox', 'llama', 'qwen2'] as const;
export type LabFamily = (typeof LAB_FAMILIES)[number];

/** A partial DemoConfig: objects merge key by key, arrays and numbers replace. */
export type DemoOverrides = { [K in keyof DemoConfig]?: Partial<DemoConfig[K]> };

/** The default preset: three seeds, the full grid. */
const DEFAULT: DemoConfig = {
  seed: 1,
  model: { hidden: 64, layers: 2, heads: 4, intermediate: 256 },
  data: { sftTrain: 3000, sftEval: 128, rlEvalPrompts: 128 },
  preferences: {
    posts: 2000,
    evalPosts: 200,
    samplesPerPost: 2,
    pairsPerPost: 3,
    temperature: 1,
    labelTemperature: 0.5,
  },
  maxNewTokens: 24,
  sft: { steps: 500, batchSize: 32, lr: 3e-3, warmupSteps: 20, evalEvery: 100, checkpointEvery: 100 },
  // ≈ one epoch of its ≈ 5,200 pairs, as the TL;DR RM recipe
  rm: { steps: 165, batchSize: 32, lr: 1e-3, warmupSteps: 10, evalEvery: 50, checkpointEvery: 100 },
  // 640 pairs × 3 epochs at batch 16 = 120 steps: as many pair visits as the 0.37 epoch of the full
  // data this replaced, now with six gold evaluations along the way.
  po: {
    pairs: 640,
    epochs: 3,
    batchSize: 16,
    evalsPerEpoch: 2,
    lr: 3e-4,
    simpoLr: 3e-5,
    dpoBeta: 0.1,
    simpoBeta: 2,
    simpoGamma: 1,
    gammaDose: [0, 1, 2],
    // Redrawn at every gold evaluation; two samples at the preference data's temperature.
    onPolicy: { roundsPerEpoch: 2, samplesPerPrompt: 2, temperature: 1 },
  },
  rl: {
    lrs: [3e-4, 1e-3],
    // One α at the lower rate (the larger of the paper-like pair 0.02 / 0.05), to keep the budget.
    entropyCoefs: [0.05],
    entropyDose: [0, 0.01, 0.02, 0.05, 0.1],
    klCoef: 0.2,
    steps: 60,
    promptsPerStep: 16,
    k: 2,
    temperature: 0.7,
    schedule: 'constant',
    evalEvery: 10,
    klPrev: 'exact',
    checkpointEvery: 20,
  },
  ppo: { lrs: [3e-4], epochs: 2, minibatchSize: 16 },
  bon: {
    prompts: 48,
    n: [1, 2, 4, 8, 16, 32],
    temperature: 0.7,
    batchSize: 8,
    missingEosPenalty: -1,
    calibrationSamples: 0,
  },
};

/** The default with `o` merged in (objects key by key; arrays and scalars replaced). */
export function withOverrides(base: DemoConfig, o: DemoOverrides): DemoConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(o)) {
    const b = (base as unknown as Record<string, unknown>)[k];
    out[k] = typeof b === 'object' && b !== null && !Array.isArray(b) ? { ...b, ...(v as object) } : v;
  }
  return out as unknown as DemoConfig;
}

/** `smoke` exercises every stage in seconds (for tests); it is too short to show the paper's effect. */
export const DEMO_PRESETS: Record<DemoPreset, DemoConfig> = {
  default: DEFAULT,
  // One seed, half the data, a shorter grid: the shape of the default in under 3 minutes.
  quick: withOverrides(DEFAULT, {
    data: { sftTrain: 1500, sftEval: 64, rlEvalPrompts: 64 },
    preferences: { posts: 1200, evalPosts: 100 },
    // 250 SFT steps left the SFT policy near a 0 win rate: the quick preset keeps 500.
    rm: { steps: 100 }, // ≈ one epoch of its ≈ 3,100 pairs
    po: { pairs: 320, gammaDose: [0, 1] },
    rl: { steps: 40, evalEvery: 8, entropyCoefs: [0.05], entropyDose: [0, 0.02, 0.1] },
  }),
  // Fig. 2's second model scale (`demo --scale wide`), outside the default budget: a policy twice as
  // wide and one layer deeper (≈ 6× the default's non-embedding weights), every rate, β, α and step
  // count as the default, no knob retuned for it; the grid keeps what the Gao figure and the claims'
  // core rows read (KL, MaxEnt and no regulariser at both rates' budgets, PPO, best-of-n, SimPO
  // with γ = 0 and on-policy) and drops the middle doses. Measured timing: README.
  wide: withOverrides(DEFAULT, {
    model: { hidden: 128, layers: 3, heads: 4, intermediate: 512 },
    po: { gammaDose: [0, 1] },
    rl: { entropyDose: [0, 0.05] },
  }),
  smoke: withOverrides(DEFAULT, {
    model: { hidden: 32, layers: 1, heads: 2, intermediate: 64 },
    data: { sftTrain: 200, sftEval: 16, rlEvalPrompts: 8 },
    preferences: { posts: 32, evalPosts: 8, pairsPerPost: 2 },
    maxNewTokens: 8,
    sft: { steps: 20, batchSize: 16, warmupSteps: 5, evalEvery: 10, checkpointEvery: 10 },
    rm: { steps: 10, batchSize: 16, warmupSteps: 2, evalEvery: 5, checkpointEvery: 10 },
    po: { pairs: 16, epochs: 2, batchSize: 8, gammaDose: [0, 1] },
    rl: {
      lrs: [1e-3],
      entropyCoefs: [],
      entropyDose: [0, 0.2],
      steps: 6,
      promptsPerStep: 4,
      evalEvery: 2,
      checkpointEvery: 2,
    },
    ppo: { lrs: [1e-3], epochs: 1, minibatchSize: 8 },
    bon: { prompts: 4, n: [1, 2, 4] },
  }),
};
