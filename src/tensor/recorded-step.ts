/**
 * Recorded steps: a TypeScript function of tensors, run once while libtorch's tracer records the
 * ATen ops it dispatches, becomes a graph that the addon replays without returning to JavaScript
 * (native/src/generate.cc; the design in docs/generation.md).
 *
 * What is recorded is exactly what ran: shapes, numbers and branches taken in JavaScript are fixed
 * into the graph, and every tensor the function reads that is not one of `inputs` is baked in as a
 * constant (by reference, so in-place updates to it are seen). So the function must depend on its
 * inputs only through tensor ops, and any tensor that requires grad must be an input.
 */
import { native, type RecordedStepHandle } from '../native/binding.ts';
import { tidy } from './scope.ts';
import { type Tensor, wrap } from './tensor.ts';

/** What a decode loop returns: the collected outputs stacked over the steps it kept. */
export interface LoopResult {
  /** One tensor per collected output, stacked along `stackDim` (empty when no step ran). */
  collected: Tensor[];
  /** Steps kept: up to and including the first whose stop flag was true, else maxSteps. */
  steps: number;
}

export class RecordedStep {
  #handle: RecordedStepHandle | null;

  private constructor(handle: RecordedStepHandle) {
    this.#handle = handle;
  }

  /**
   * Runs fn(inputs) once (its results are real and returned) while recording it. Tensors fn creates
   * and does not return are freed, as in tidy().
   */
  static record(
    inputs: Tensor[],
    fn: (inputs: Tensor[]) => Tensor[],
  ): { step: RecordedStep; outputs: Tensor[] } {
    native.traceBegin(inputs.map((t) => t.handle));
    let outputs: Tensor[];
    try {
      outputs = tidy(() => fn(inputs));
    } catch (e) {
      native.traceAbandon();
      throw e;
    }
    let handle: RecordedStepHandle;
    try {
      handle = native.traceEnd(outputs.map((t) => t.handle));
    } catch (e) {
      for (const t of outputs) t.dispose();
      throw e;
    }
    return { step: new RecordedStep(handle), outputs };
  }

  private get handle(): RecordedStepHandle {
    if (!this.#handle) throw new Error('the recorded step was disposed');
    return this.#handle;
  }

  /** The recorded graph as TorchScript IR text. */
  graph(): string {
    return native.traceGraph(this.handle);
  }

  /** One replay. */
  run(inputs: Tensor[]): Tensor[] {
    return native
      .runStep(
        this.handle,
        inputs.map((t) => t.handle),
      )
      .map(wrap);
  }

  /**
   * Replays the step up to maxSteps times natively. The step's inputs are [carried…, fixed…] and its
   * outputs [carried'…, collected…, stop]; carried' feeds the next step, the stop flag (a bool
   * scalar) is read every checkEvery steps, and the loop keeps the steps up to the first true flag.
   */
  loop(
    carried: Tensor[],
    fixed: Tensor[],
    opts: { maxSteps: number; checkEvery: number; stackDim: number },
  ): LoopResult {
    const out = native.runDecodeLoop(
      this.handle,
      carried.map((t) => t.handle),
      fixed.map((t) => t.handle),
      opts.maxSteps,
      opts.checkEvery,
      opts.stackDim,
    );
    for (const h of out.carried) wrap(h).dispose();
    return { collected: out.collected.map(wrap), steps: out.steps };
  }

  /** Frees the graph (and the constants baked into it) now. */
  dispose(): void {
    if (this.#handle) native.disposeProgram(this.#handle);
    this.#handle = null;
  }
}
