/**
 * The demo's settings: a scaled-down twin of the paper's grid that runs on a laptop CPU.
 * `default` runs three seeds, `quick` one (measured timings: README, "What `npm run demo` does").
 */
export interface RlGridConfig {
  /** Learning rates of the online runs (the paper: 1e-6 / 1e-7 on Pythia 1B; lab-scaled here). */
  lrs: number[];
  /** Entropy-bonus coefficients α of the Maximum-Entropy runs (no reference model in training). */
  entropyCoefs: number[];
  /** KL coefficient β of the KL-regularised baseline. */
  klCoef: number;
  steps: number;
  promptsPerStep: number;
  k: number;
  temperature: number;
  /** Learning-rate schedule: `linear` anneals to 0 over the run, as the TL;DR PPO setup does. */
  schedule: 'constant' | 'linear';
  evalEvery: number;
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

export interface DemoConfig {
  seed: number;
  model: { hidden: number; layers: number; heads: number; intermediate: number };
  data: {
    sftTrain: number;
    sftEval: number;
    /** Held-out posts of the gold evaluation (win rate against their references). */
    rlEvalPrompts: number;
  };
  preferences: PreferenceDataConfig;
  /** Response length limit of every sampled summary: preference data, RL rollouts, evaluation. */
  maxNewTokens: number;
  sft: { steps: number; batchSize: number; lr: number };
  rm: { steps: number; batchSize: number; lr: number };
  po: {
    steps: number;
    batchSize: number;
    /** DPO learning rate. */
    lr: number;
    /** SimPO learning rate: SimPO's own recipes use rates several times below DPO's. */
    simpoLr: number;
    dpoBeta: number;
    simpoBeta: number;
    simpoGamma: number;
  };
  rl: RlGridConfig;
  ppo: PpoGridConfig;
  bon: BestOfNGridConfig;
}

export type DemoPreset = 'default' | 'quick' | 'smoke';

/** `smoke` exercises every stage in seconds (for tests); it is too short to show the paper's effect. */
export const DEMO_PRESETS: Record<DemoPreset, DemoConfig> = {
  default: {
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
    sft: { steps: 500, batchSize: 32, lr: 3e-3 },
    rm: { steps: 165, batchSize: 32, lr: 1e-3 }, // ≈ one epoch of its ≈ 5,200 pairs, as the TL;DR RM recipe
    po: { steps: 120, batchSize: 16, lr: 3e-4, simpoLr: 3e-5, dpoBeta: 0.1, simpoBeta: 2, simpoGamma: 1 },
    rl: {
      lrs: [3e-4, 1e-3],
      entropyCoefs: [0.02, 0.05],
      klCoef: 0.2,
      steps: 60,
      promptsPerStep: 16,
      k: 2,
      temperature: 0.7,
      schedule: 'linear', // as the TL;DR PPO setup, the paper presets and the trainer's default
      evalEvery: 10,
    },
    ppo: { lrs: [3e-4], epochs: 2, minibatchSize: 16 },
    bon: { prompts: 48, n: [1, 2, 4, 8, 16, 32, 64], temperature: 0.7 },
  },
  quick: {
    seed: 1,
    model: { hidden: 64, layers: 2, heads: 4, intermediate: 256 },
    data: { sftTrain: 1500, sftEval: 64, rlEvalPrompts: 64 },
    preferences: {
      posts: 1200,
      evalPosts: 100,
      samplesPerPost: 2,
      pairsPerPost: 3,
      temperature: 1,
      labelTemperature: 0.5,
    },
    maxNewTokens: 24,
    sft: { steps: 500, batchSize: 32, lr: 3e-3 }, // 250 steps left the SFT policy near a 0 win rate
    rm: { steps: 100, batchSize: 32, lr: 1e-3 }, // ≈ one epoch of its ≈ 3,100 pairs
    po: { steps: 60, batchSize: 16, lr: 3e-4, simpoLr: 3e-5, dpoBeta: 0.1, simpoBeta: 2, simpoGamma: 1 },
    rl: {
      lrs: [3e-4, 1e-3],
      entropyCoefs: [0.02, 0.05],
      klCoef: 0.2,
      steps: 40,
      promptsPerStep: 16,
      k: 2,
      temperature: 0.7,
      schedule: 'linear',
      evalEvery: 8,
    },
    ppo: { lrs: [3e-4], epochs: 2, minibatchSize: 16 },
    bon: { prompts: 48, n: [1, 2, 4, 8, 16, 32, 64], temperature: 0.7 },
  },
  smoke: {
    seed: 1,
    model: { hidden: 32, layers: 1, heads: 2, intermediate: 64 },
    data: { sftTrain: 200, sftEval: 16, rlEvalPrompts: 8 },
    preferences: {
      posts: 32,
      evalPosts: 8,
      samplesPerPost: 2,
      pairsPerPost: 2,
      temperature: 1,
      labelTemperature: 0.5,
    },
    maxNewTokens: 8,
    sft: { steps: 20, batchSize: 16, lr: 3e-3 },
    rm: { steps: 10, batchSize: 16, lr: 1e-3 },
    po: { steps: 6, batchSize: 8, lr: 3e-4, simpoLr: 3e-5, dpoBeta: 0.1, simpoBeta: 2, simpoGamma: 1 },
    rl: {
      lrs: [1e-3],
      entropyCoefs: [0.2],
      klCoef: 0.2,
      steps: 6,
      promptsPerStep: 4,
      k: 2,
      temperature: 0.7,
      schedule: 'constant',
      evalEvery: 2,
    },
    ppo: { lrs: [1e-3], epochs: 1, minibatchSize: 8 },
    bon: { prompts: 4, n: [1, 2, 4], temperature: 0.7 },
  },
};
