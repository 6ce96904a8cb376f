/**
 * One rank of the data-parallel training benchmark (bench/data-parallel.ts): the SFT trainer on a
 * randomly initialised ≈20M-parameter GPT-NeoX (as bench/model.ts's neox-20m) over synthetic token
 * data, joining the group from the environment. Rank 0 prints one JSON line with the mean time of
 * the steps after the first two (warm-up), from the trainer's own step callback.
 * Usage: data-parallel-worker.ts OUT STEPS BATCH
 */
import { initProcessGroup } from '../src/distributed/index.ts';
import { GPTNeoXForCausalLM, initStateDict, namedConfig } from '../src/models/index.ts';
import { applyDefaultThreads, Generator, randint } from '../src/tensor/index.ts';
import { SftConfigSchema } from '../src/trainers/offline/config.ts';
import { trainSft } from '../src/trainers/offline/sft.ts';

applyDefaultThreads();
const [out, steps, batch] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const VOCAB = 12288;
const PROMPT = 32;
const COMPLETION = 64;
const group = await initProcessGroup();
const config = {
  ...namedConfig('pythia-small', VOCAB),
  hiddenSize: 384,
  numAttentionHeads: 6,
  intermediateSize: 1536,
};
const gen = new Generator(0);
const model = new GPTNeoXForCausalLM(config, initStateDict(config, 'causal-lm', gen)).setTrainable(true);
// Texts are space-separated token ids; every rank draws the same ones.
const words = (n: number) =>
  randint(1, VOCAB - 1, [n], gen)
    .toArray()
    .join(' ');
const train = Array.from({ length: 4 * batch }, (_, row) => ({
  prompt: words(PROMPT),
  completion: words(COMPLETION),
  row,
}));
const tokenizer = { encode: (t: string) => t.split(' ').map(Number), eosId: VOCAB - 1, padId: 0 };
const times: number[] = [];
await trainSft({
  config: SftConfigSchema.parse({
    model: 'synthetic',
    out,
    data: { train: 'synthetic' },
    maxPromptTokens: PROMPT,
    maxTotalTokens: PROMPT + COMPLETION + 1,
    steps,
    batchSize: batch,
    optim: { lr: 1e-4, schedule: 'constant' },
    evalEvery: 0,
    checkpointEvery: 0,
  }),
  model,
  tokenizer,
  train,
  eval: [],
  group,
  log: () => {},
  onStep: () => times.push(performance.now()),
});
const timed = times.slice(2);
const stepMs = (timed.at(-1)! - timed[0]!) / (timed.length - 1);
if (group.rank === 0)
  console.log(
    JSON.stringify({ stepMs, params: [...model.parameters().values()].reduce((n, p) => n + p.size, 0) }),
  );
await group.destroy();
