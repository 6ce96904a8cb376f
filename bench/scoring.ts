/**
 * The training-time scoring pass with backward on a pythia-70m shape (16 rows × 96 tokens, the last
 * 32 scored, temperature 0.7), with the fused scoring op (tokenScores) against the previous chain of
 * ATen ops (logsumexp, gather, softmax, mul, sum), alternating in one process: CPU time (all threads;
 * less sensitive to other processes' load than wall time) and the counted peak of libtorch's CPU
 * allocator above the start (trackHostMemory). The PyTorch side of the op alone is in bench/engine.ts.
 */
import { GPTNeoXForCausalLM, initStateDict, namedConfig } from '../src/models/index.ts';
import {
  Generator,
  hostMemoryStats,
  ones,
  randint,
  resetHostMemoryPeak,
  type Tensor,
  tidy,
  tokenScores,
  trackHostMemory,
} from '../src/tensor/index.ts';

const ROWS = 16;
const TOKENS = 96;
const SCORED = 32;
const TEMPERATURE = 0.7;

export interface ScoringBenchOutput {
  table: string;
  notes: string[];
}

export function runScoringBench(rounds = 3): ScoringBenchOutput {
  trackHostMemory();
  const config = namedConfig('pythia-70m', 50304);
  const model = new GPTNeoXForCausalLM(config, initStateDict(config, 'causal-lm', new Generator(1)));
  const params = [...model.parameters().values()];
  for (const p of params) p.requiresGrad_(true);
  const ids = randint(1, config.vocabSize, [ROWS, TOKENS], new Generator(2));
  const mask = ones([ROWS, TOKENS], { dtype: 'int64' });
  const cpu = { fused: Number.POSITIVE_INFINITY, chain: Number.POSITIVE_INFINITY };
  const peak = { fused: 0, chain: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const variant of ['fused', 'chain'] as const) {
      const base = hostMemoryStats().current;
      resetHostMemoryPeak();
      const c0 = process.cpuUsage();
      tidy(() => {
        const { hidden } = model.gptNeox.forward(ids, { attentionMask: mask });
        const logits = model
          .lmHead(hidden.narrow(1, TOKENS - SCORED - 1, SCORED))
          .float()
          .div(TEMPERATURE);
        const targets = ids.narrow(1, TOKENS - SCORED, SCORED);
        let logProb: Tensor;
        let entropy: Tensor;
        if (variant === 'fused') ({ logProb, entropy } = tokenScores(logits, targets));
        else {
          const lse = logits.logsumexp(-1);
          logProb = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1).sub(lse);
          entropy = lse.sub(logits.softmax(-1).mul(logits).sum(-1));
        }
        logProb.sum().add(entropy.sum().mul(0.01)).backward();
        for (const p of params) p.grad = null;
      });
      const c = process.cpuUsage(c0);
      cpu[variant] = Math.min(cpu[variant], (c.user + c.system) / 1e6);
      peak[variant] = Math.max(peak[variant], hostMemoryStats().peak - base);
    }
  }
  for (const t of [ids, mask]) t.dispose();
  const mb = (b: number) => (b / 1e6).toFixed(0);
  const table = [
    '| scoring pass with backward | CPU s | peak MB above start |',
    '| --- | ---: | ---: |',
    `| fused tokenScores | ${cpu.fused.toFixed(2)} | ${mb(peak.fused)} |`,
    `| previous ATen chain | ${cpu.chain.toFixed(2)} | ${mb(peak.chain)} |`,
    `| chain / fused | ${(cpu.chain / cpu.fused).toFixed(2)}× | ${(peak.chain / peak.fused).toFixed(2)}× |`,
  ].join('\n');
  return {
    table,
    notes: [
      `pythia-70m shape, ${ROWS} rows × ${TOKENS} tokens, the last ${SCORED} scored at temperature ${TEMPERATURE}; best CPU time and largest peak of ${rounds} alternating rounds`,
    ],
  };
}
