/**
 * Memory: 10,000 forward/backward/AdamW steps of a small MLP, each in tidy(), must return the live
 * tensor count and the bytes libtorch's allocator holds (counted: trackHostMemory) to their values
 * after the first step, exactly, after every step, and keep the process's native memory (resident
 * set less V8's heap) flat; the same step without tidy leaks handles (which the first check catches).
 */
import { describe, expect, it } from 'vitest';
import {
  AdamW,
  crossEntropy,
  Generator,
  hostMemoryStats,
  linear,
  liveTensors,
  randint,
  randn,
  scopeDepth,
  type Tensor,
  tidy,
  trackHostMemory,
} from '../../src/tensor/index.ts';

const STEPS = 10_000;
/**
 * Native memory growth allowed between step 1,000 and step 10,000: the resident set less V8's heap
 * (whose size follows the GC's timing: the resident set alone once grew 20.1 MB under load).
 */
const RSS_BOUND_MB = 20;

/** The process's resident bytes outside V8's heap. */
const nativeResident = () => {
  const m = process.memoryUsage();
  return m.rss - m.heapTotal;
};

interface Mlp {
  params: Tensor[];
  x: Tensor;
  y: Tensor;
}

function makeMlp(): Mlp {
  const g = new Generator(0);
  const p = (shape: number[], scale: number) => tidy(() => randn(shape, g).mul(scale)).requiresGrad_(true);
  return {
    params: [p([32, 8], 0.3), p([32], 0.1), p([4, 32], 0.2), p([4], 0.1)],
    x: randn([16, 8], g),
    y: randint(0, 4, [16], g),
  };
}

/** One training step: forward, loss, backward, AdamW update. Returns the loss value. */
function trainStep(m: Mlp, opt: AdamW): number {
  const [w1, b1, w2, b2] = m.params as [Tensor, Tensor, Tensor, Tensor];
  opt.zeroGrad();
  const h = linear(m.x, w1, b1).gelu();
  const loss = crossEntropy(linear(h, w2, b2), m.y);
  loss.backward();
  opt.step();
  return loss.item();
}

describe('memory', () => {
  it(`${STEPS} tidy steps: live tensors and counted bytes back to baseline after each step, native growth < ${RSS_BOUND_MB} MB`, () => {
    trackHostMemory();
    const m = makeMlp();
    const opt = new AdamW(m.params, { lr: 1e-2 });
    const baseline = liveTensors();
    let rssAt1000 = 0;
    let first = 0;
    let last = 0;
    let mismatches = 0;
    let bytesAfterFirst = 0; // AdamW's moments exist from the first step on
    let byteMismatches = 0;
    for (let step = 1; step <= STEPS; step++) {
      const loss = tidy(() => trainStep(m, opt));
      if (step === 1) {
        first = loss;
        bytesAfterFirst = hostMemoryStats().current;
      }
      last = loss;
      // Count instead of expect() per step: 10k assertions would dominate the run time.
      if (liveTensors() !== baseline) mismatches++;
      if (hostMemoryStats().current !== bytesAfterFirst) byteMismatches++;
      if (step === 1000) rssAt1000 = nativeResident();
    }
    const growthMb = (nativeResident() - rssAt1000) / 2 ** 20;
    expect(mismatches).toBe(0);
    expect(byteMismatches).toBe(0);
    expect(liveTensors()).toBe(baseline);
    expect(growthMb, `native memory grew ${growthMb.toFixed(1)} MB`).toBeLessThan(RSS_BOUND_MB);
    // The loop really trained (the graph and the optimizer were exercised).
    expect(last).toBeLessThan(first * 0.5);
    opt.dispose();
    for (const t of [...m.params, m.x, m.y]) t.dispose();
  });

  it('the same step without tidy leaks tensor handles', () => {
    const m = makeMlp();
    const opt = new AdamW(m.params, { lr: 1e-2 });
    expect(scopeDepth()).toBe(0);
    const baseline = liveTensors();
    const steps = 20;
    for (let i = 0; i < steps; i++) trainStep(m, opt);
    // Each step leaves its 4 intermediates alive: linear, gelu, logits, loss.
    expect(liveTensors() - baseline).toBe(4 * steps);
    // The leaked tensors are unreachable; only the GC finalizer would ever free them.
    opt.dispose();
    for (const t of [...m.params, m.x, m.y]) t.dispose();
  });
});
