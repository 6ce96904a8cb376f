/**
 * A training run from a config, as the CLI runs it: `runSft`, `runRm`, `runPo`, `runRl` and `runBon`
 * take the keys of a config file (docs/configs.md) as an object, or the file's path, load the
 * models (trainable where they train), the reference, the reward model, the evaluator and the data,
 * and train into the run folder `out` (resumed if it holds a checkpoint). docs/api-tutorial.md walks
 * through them.
 *
 * ```ts
 * import { runSft } from 'maxent-rlhf/experiments';
 * await runSft({ model: 'init', out: 'runs/sft', data: { train: 'sft.jsonl' }, steps: 10 });
 * ```
 * @module experiments
 */

export { loadBestOfNConfig, runBon } from '../experiments/best-of-n.ts';
export { type BestOfNConfig, BestOfNConfigSchema } from '../experiments/best-of-n-config.ts';
export {
  type RlCommandConfig,
  RlCommandConfigSchema,
  TRAIN_SCHEMAS,
  type TrainConfig,
  type TrainKind,
} from '../experiments/configs.ts';
export {
  type LoadedRlRun,
  loadTrainConfig,
  runPo,
  runRl,
  runRm,
  runSft,
  runTrain,
  type TrainConfigInput,
  type TrainConfigSource,
  type TrainIO,
  type TrainOptions,
  trainConfig,
} from '../experiments/train.ts';
