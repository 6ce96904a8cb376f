/**
 * The demo's settings: a scaled-down twin of the paper's grid that runs on a laptop CPU.
 * `default` fits in about ten minutes on two cores, `quick` in about three.
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
  maxNewTokens: number;
  evalEvery: number;
}

export interface DemoConfig {
  seed: number;
  model: { hidden: number; layers: number; heads: number; intermediate: number };
  data: {
    sftTrain: number;
    sftEval: number;
    preferencePairs: number;
    preferenceEval: number;
    labelTemperature: number;
    rlEvalPrompts: number;
  };
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
}

export type DemoPreset = 'default' | 'quick' | 'smoke';

/** `smoke` exercises every stage in seconds (for tests); it is too short to show the paper's effect. */
export const DEMO_PRESETS: Record<DemoPreset, DemoConfig> = {
  default: {
    seed: 1,
    model: { hidden: 64, layers: 2, heads: 4, intermediate: 256 },
    data: {
      sftTrain: 3000,
      sftEval: 128,
      preferencePairs: 800,
      preferenceEval: 200,
      labelTemperature: 0.5,
      rlEvalPrompts: 64,
    },
    sft: { steps: 500, batchSize: 32, lr: 3e-3 },
    rm: { steps: 250, batchSize: 32, lr: 1e-3 },
    po: { steps: 120, batchSize: 16, lr: 3e-4, simpoLr: 3e-5, dpoBeta: 0.1, simpoBeta: 2, simpoGamma: 0.5 },
    rl: {
      lrs: [3e-4, 1e-3],
      entropyCoefs: [0.05, 0.2],
      klCoef: 0.5,
      steps: 80,
      promptsPerStep: 16,
      k: 2,
      temperature: 0.7,
      maxNewTokens: 16,
      evalEvery: 10,
    },
  },
  quick: {
    seed: 1,
    model: { hidden: 64, layers: 2, heads: 4, intermediate: 256 },
    data: {
      sftTrain: 1500,
      sftEval: 64,
      preferencePairs: 500,
      preferenceEval: 100,
      labelTemperature: 0.5,
      rlEvalPrompts: 32,
    },
    sft: { steps: 250, batchSize: 32, lr: 3e-3 },
    rm: { steps: 150, batchSize: 32, lr: 1e-3 },
    po: { steps: 60, batchSize: 16, lr: 3e-4, simpoLr: 3e-5, dpoBeta: 0.1, simpoBeta: 2, simpoGamma: 0.5 },
    rl: {
      lrs: [3e-4, 1e-3],
      entropyCoefs: [0.05, 0.2],
      klCoef: 0.5,
      steps: 40,
      promptsPerStep: 16,
      k: 2,
      temperature: 0.7,
      maxNewTokens: 16,
      evalEvery: 8,
    },
  },
  smoke: {
    seed: 1,
    model: { hidden: 32, layers: 1, heads: 2, intermediate: 64 },
    data: {
      sftTrain: 200,
      sftEval: 16,
      preferencePairs: 64,
      preferenceEval: 16,
      labelTemperature: 0.5,
      rlEvalPrompts: 8,
    },
    sft: { steps: 20, batchSize: 16, lr: 3e-3 },
    rm: { steps: 10, batchSize: 16, lr: 1e-3 },
    po: { steps: 6, batchSize: 8, lr: 3e-4, simpoLr: 3e-5, dpoBeta: 0.1, simpoBeta: 2, simpoGamma: 0.5 },
    rl: {
      lrs: [1e-3],
      entropyCoefs: [0.2],
      klCoef: 0.5,
      steps: 6,
      promptsPerStep: 4,
      k: 2,
      temperature: 0.7,
      maxNewTokens: 8,
      evalEvery: 2,
    },
  },
};
