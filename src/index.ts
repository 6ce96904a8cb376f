/**
 * maxent-rlhf: preference alignment of language models on libtorch. The root export gathers the
 * everyday API of every area; each area is also a subpath (`maxent-rlhf/tensor`, `/io`, `/models`,
 * `/losses`, `/data`, `/trainers`, `/judges`, `/experiments`, `/lab`), and two are subpaths only: `/theory` (the
 * paper's exact checks) and `/config` (strict config files).
 *
 * ```ts
 * import { loadCausalLM, dpoLoss, tidy } from 'maxent-rlhf';
 * ```
 * @module maxent-rlhf
 */

// Two areas name a type LoadOptions: the models' one keeps the name.
export type { LoadOptions as DataLoadOptions } from './api/data.ts';
export * from './api/data.ts';
export * from './api/experiments.ts';
export * from './api/io.ts';
export * from './api/judges.ts';
export * from './api/lab.ts';
export * from './api/losses.ts';
export type { LoadOptions } from './api/models.ts';
export * from './api/models.ts';
export * from './api/tensor.ts';
export * from './api/trainers.ts';
