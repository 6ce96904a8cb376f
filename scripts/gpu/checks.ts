/**
 * The steps of scripts/gpu-check.sh that run in Node (each prints its findings, exits non-zero on a
 * failure). DEVICE is `cuda` on a GPU machine and `cpu` where the check runs its flow without one.
 *
 *   node bin/run-ts.mjs scripts/gpu/checks.ts parity DEVICE
 *       GPT-NeoX logits on DEVICE against the independent float64 PyTorch reference
 *       (scripts/reference/gptneox_reference.py, run by MAXENT_PYTHON) on checkpoints we saved
 *   node bin/run-ts.mjs scripts/gpu/checks.ts decode DEVICE
 *       the native decode loop (static KV cache, the recorded step replayed; a CUDA graph on cuda)
 *       against the eager TypeScript loop on DEVICE (raw and top-k/top-p sampling): the same tokens,
 *       log-probs and entropies within 1e-4; the fused tokenScores op on DEVICE (float32, bf16)
 *       against float64 on the CPU; with MAXENT_CUDA_GRAPHS=1 on cuda, fails unless steps ran from
 *       a CUDA graph
 *   node bin/run-ts.mjs scripts/gpu/checks.ts sampling DEVICE [SHAPE]
 *       KV-cached sampling, ours against the machine's own PyTorch (bench/model.py's KV-cached
 *       loop) on the same weights and prompts, alternating rounds, tokens/s each
 *   node bin/run-ts.mjs scripts/gpu/checks.ts process-group DEVICE
 *       a 1-rank c10d process group (NCCL on cuda, Gloo on cpu): all-reduce, broadcast, barrier
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PythonServer } from '../../bench/model-python.ts';
import { NativeProcessGroup } from '../../src/distributed/process-group.ts';
import { loadCausalLM } from '../../src/models/checkpoint/load-model.ts';
import { GPTNeoXForCausalLM, generate, initStateDict, namedConfig } from '../../src/models/index.ts';
import { native } from '../../src/native/binding.ts';
import {
  Generator,
  getNumThreads,
  noGrad,
  randint,
  randn,
  tensor,
  tidy,
  tokenScores,
  withDefaultDevice,
} from '../../src/tensor/index.ts';
import {
  int64,
  maxAbsDiff,
  PYTHON,
  randomIds,
  referenceLogits,
  tinyConfig,
  wideRandomState,
} from '../../test/models/model-fixtures.ts';

const [what, device = 'cuda', shape = 'pythia-160m'] = process.argv.slice(2);
const fail = (m: string): never => {
  console.error(`gpu-check: ${m}`);
  process.exit(1);
};
const sync = () => {
  // A value read back to the host waits for the device's queued work (our ops have no explicit sync).
  if (device.startsWith('cuda')) tidy(() => tensor([0], { device }).toArray());
};

async function parity(): Promise<void> {
  const TOLERANCE = 1e-4;
  const cases = [
    { name: 'parallel residual, rotary 0.25', config: tinyConfig(), ids: randomIds(3, 9, 50, 100) },
    {
      name: 'sequential residual, rotary 1.0',
      config: tinyConfig({ useParallelResidual: false, rotaryPct: 1 }),
      ids: randomIds(3, 9, 50, 101),
    },
    {
      name: 'gelu_new, tied embeddings, no attention bias',
      config: tinyConfig({
        hiddenAct: 'gelu_new',
        tieWordEmbeddings: true,
        attentionBias: false,
        rotaryPct: 0.5,
      }),
      ids: randomIds(3, 9, 50, 102),
    },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'gpu-parity-'));
  try {
    for (const [i, c] of cases.entries())
      await new GPTNeoXForCausalLM(c.config, wideRandomState(c.config, 'causal-lm', 10 + i)).save(
        join(dir, `case-${i}`),
      );
    const reference = await referenceLogits(
      cases.map((c, i) => ({ snapshot: join(dir, `case-${i}`), inputIds: c.ids })),
      dir,
    );
    let worst = 0;
    for (const [i, c] of cases.entries()) {
      const model = await loadCausalLM(join(dir, `case-${i}`), { device });
      const ones = c.ids.map((r) => r.map(() => 1));
      const ours = withDefaultDevice(device, () => noGrad(() => model.logits(int64(c.ids), int64(ones))));
      if (ours.device !== device) fail(`parity: logits on ${ours.device}, not ${device}`);
      const diff = maxAbsDiff(ours.toArray(), reference[i]!.logits);
      worst = Math.max(worst, diff);
      console.log(`${c.name}: max |logit − reference| = ${diff.toExponential(2)} on ${device}`);
      model.dispose();
    }
    if (!(worst < TOLERANCE)) fail(`parity: ${worst.toExponential(2)} ≥ ${TOLERANCE}`);
    console.log(`parity: passed (tolerance ${TOLERANCE}, reference: ${PYTHON}, float64)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function decode(): Promise<void> {
  const TOLERANCE = 1e-4;
  const config = tinyConfig();
  const onDevice = new GPTNeoXForCausalLM(
    config,
    new Map([...wideRandomState(config, 'causal-lm', 41)].map(([k, t]) => [k, t.to({ device })])),
  );
  const ids = randint(1, config.vocabSize, [4, 12], new Generator(3)).to({ device });
  const mask = tidy(() => ids.mul(0).add(1));
  const graphsWanted = process.env.MAXENT_CUDA_GRAPHS === '1' && device.startsWith('cuda');
  const graphStepsBefore = native.info().cudaGraphSteps;
  // The raw policy (one fused score per step) and a filtered one (−∞ tokens in the fused op).
  const settings = [
    { name: 'temperature 1', temperature: 1 },
    { name: 'temperature 0.7, top-k 20, top-p 0.9', temperature: 0.7, topK: 20, topP: 0.9 },
  ];
  for (const { name, ...sampling } of settings) {
    const run = (decoder: 'native' | 'eager') =>
      generate(
        onDevice,
        { ids, mask },
        { maxNewTokens: 16, eosId: 3, padId: 0, gen: new Generator(5), decoder, ...sampling },
      );
    const a = run('native');
    const b = run('eager');
    if (a.tokens.toArray().join() !== b.tokens.toArray().join())
      fail(`decode (${name}): the native loop chose other tokens than the eager loop`);
    const columns = ['policyLogProbs', 'samplingLogProbs', 'policyEntropy', 'samplingEntropy'] as const;
    const worst = Math.max(...columns.map((c) => maxAbsDiff(a[c].toArray(), b[c].toArray())));
    if (!(worst < TOLERANCE))
      fail(`decode (${name}): log-probs or entropies differ by ${worst.toExponential(2)}`);
    console.log(
      `decode (${name}): native loop on ${device} = eager loop (tokens equal, scores within ${worst.toExponential(1)})`,
    );
  }
  // The fused scoring op on the device (float32 and bf16 logits, a Pythia-sized vocabulary, −∞
  // tokens) against float64 log_softmax on the CPU over the same values.
  tidy(() => {
    const V = 50304;
    const logits = randn([8, V], new Generator(7)).mul(4);
    const cut = logits.lt(-6);
    const filtered = logits.maskedFill(cut, Number.NEGATIVE_INFINITY);
    // A random token that was not cut (a cut target's log-prob is −∞ on both sides).
    const targets = randn([8, V], new Generator(8)).maskedFill(cut, Number.NEGATIVE_INFINITY).argmax(-1);
    for (const [label, z] of [
      ['float32', filtered],
      ['bf16', filtered.to('bfloat16')],
    ] as const) {
      const exact = z.double();
      const logp = exact.logSoftmax(-1);
      const refLogProb = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).toArray();
      const refEntropy = logp.exp().mul(logp.maskedFill(cut, 0)).sum(-1).neg().toArray();
      const got = tokenScores(z.to({ device }), targets.to({ device }));
      const err = Math.max(
        maxAbsDiff(got.logProb.toArray(), refLogProb),
        maxAbsDiff(got.entropy.toArray(), refEntropy),
      );
      if (!(err < 1e-4))
        fail(`tokenScores (${label}) on ${device} differs from float64 by ${err.toExponential(2)}`);
      console.log(`tokenScores (${label}) on ${device}: within ${err.toExponential(1)} of float64`);
    }
  });
  if (graphsWanted) {
    const { cudaGraphsBuilt, cudaGraphSteps } = native.info();
    if (!cudaGraphsBuilt) fail('MAXENT_CUDA_GRAPHS=1 but the addon was built without CUDA-graph capture');
    if (cudaGraphSteps === graphStepsBefore)
      fail(
        'MAXENT_CUDA_GRAPHS=1 but no decode step ran from a CUDA graph (the capture failed: see the warning)',
      );
    console.log(`decode: ${cudaGraphSteps - graphStepsBefore} decode steps replayed from a CUDA graph`);
  }
}

async function sampling(): Promise<void> {
  const prompts = 8;
  const promptLen = 64;
  const newTokens = 32;
  const rounds = 3;
  const config = namedConfig(shape, 50304);
  const dir = mkdtempSync(join(tmpdir(), 'gpu-sampling-'));
  const python = new PythonServer(join(import.meta.dirname, '../../bench/model.py'), {
    threads: getNumThreads(),
    device,
  });
  try {
    const model = new GPTNeoXForCausalLM(config, initStateDict(config, 'causal-lm', new Generator(0)));
    await model.save(dir);
    const ids = randint(1, config.vocabSize, [prompts, promptLen], new Generator(1));
    const rows = ids.toArray();
    const idRows = Array.from({ length: prompts }, (_, r) => rows.slice(r * promptLen, (r + 1) * promptLen));
    writeFileSync(
      join(dir, 'inputs.json'),
      JSON.stringify({
        prompt_ids: idRows,
        prompt_mask: idRows.map((r) => r.map(() => 1)),
        train_ids: [idRows[0]],
      }),
    );
    const greeting = await python.read<{ torch: string }>();
    await python.call({ op: 'load', name: 'm', dir, inputs: join(dir, 'inputs.json') });
    const onDevice = await loadCausalLM(dir, { device });
    model.dispose();
    const dIds = ids.to({ device });
    const dMask = tidy(() => dIds.mul(0).add(1));
    const ours = () =>
      tidy(() => {
        generate(
          onDevice,
          { ids: dIds, mask: dMask },
          { maxNewTokens: newTokens, eosId: -1, padId: 0, temperature: 1, gen: new Generator(7) },
        );
        sync();
      });
    let best = { ours: Number.POSITIVE_INFINITY, torch: Number.POSITIVE_INFINITY };
    ours(); // warm-up (kernels, allocator)
    for (let r = 0; r < rounds; r++) {
      const t = await python.call<{ seconds: number }>({
        op: 'sample',
        name: 'm',
        new_tokens: newTokens,
        seed: 7,
        cached: 'static',
        repeats: 2,
        warmup: r === 0 ? 1 : 0,
      });
      best = { ...best, torch: Math.min(best.torch, t.seconds) };
      for (let k = 0; k < 2; k++) {
        const t0 = performance.now();
        ours();
        best = { ...best, ours: Math.min(best.ours, (performance.now() - t0) / 1000) };
      }
    }
    const tokens = prompts * newTokens;
    console.log(
      `${shape} shape, ${prompts} prompts × ${promptLen} tokens, ${newTokens} new tokens, KV-cached, ${device}: ` +
        `ours ${(tokens / best.ours).toFixed(0)} tokens/s, PyTorch ${greeting.torch} ${(tokens / best.torch).toFixed(0)} tokens/s ` +
        `(ours/PyTorch ${(best.torch / best.ours).toFixed(2)}; best of ${rounds * 2} each, rounds alternating)`,
    );
    onDevice.dispose();
  } finally {
    python.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function processGroup(): Promise<void> {
  const backend = device.startsWith('cuda') ? 'nccl' : 'gloo';
  const have = native.distBackends();
  if (!have.includes(backend))
    fail(
      `process-group: the addon has no ${backend} backend (have: ${have.join(', ') || 'none'}; see docs/distributed.md)`,
    );
  const group = new NativeProcessGroup(
    await native.distInit({
      backend,
      masterAddr: '127.0.0.1',
      masterPort: 0,
      rank: 0,
      worldSize: 1,
      timeoutMs: 60_000,
      initTimeoutMs: 60_000,
      deviceHost: '127.0.0.1',
    }),
    0,
  );
  const t = tensor([1, 2, 3], { device });
  await group.allReduce(t, 'sum');
  await group.broadcast(t, 0);
  await group.barrier();
  const got = t.toArray();
  if (got.join() !== '1,2,3') fail(`process-group: all-reduce of one rank gave ${got}`);
  console.log(`process-group: 1-rank ${backend} group on ${device}: all-reduce, broadcast, barrier passed`);
  t.dispose();
  await group.destroy();
}

if (what === 'parity') await parity();
else if (what === 'decode') await decode();
else if (what === 'sampling') await sampling();
else if (what === 'process-group') await processGroup();
else fail('usage: checks.ts parity|decode|sampling|process-group DEVICE [SHAPE]');
