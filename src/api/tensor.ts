/**
 * Tensors on libtorch: factories, elementwise and reduction ops, autograd, memory scopes
 * (`tidy`/`keep`/`dispose`), seeded generators, AdamW with torch's semantics, learning-rate
 * schedules, and the runtime (threads, engine facts).
 *
 * ```ts
 * import { tensor, tidy, AdamW, Generator, randn } from 'maxent-rlhf/tensor';
 * ```
 * @module tensor
 */
export * from '../tensor/index.ts';
