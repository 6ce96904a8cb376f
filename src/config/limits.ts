/**
 * Upper bounds of the config keys that size an allocation, checked when a config is read: a value
 * beyond them is a typo or a probe (`batchSize=1000000000` used to kill the process with V8's
 * "invalid size" or a stack overflow), never a run this library can make. Within them, the memory
 * plan (trainers/memory-budget.ts) checks what a run needs against the machine before loading.
 */

/** Rows (examples, prompts, responses) per batch, pass, minibatch or chunk. */
export const MAX_ROWS = 65_536;
/** Responses sampled per prompt (k, G, best-of-n's n). */
export const MAX_SAMPLES_PER_PROMPT = 4_096;
/** Tokens of a prompt or sequence (Pythia has 2,048 positions; the model's own limit is checked too). */
export const MAX_TOKENS = 1_048_576;
/** Steps, and step counts such as warmup or an evaluation period. */
export const MAX_STEPS = 1_000_000_000;
/** Passes over one rollout. */
export const MAX_EPOCHS = 1_000;
/** Checkpoints kept. */
export const MAX_KEPT_CHECKPOINTS = 1_000;
