/**
 * Generic gradient check: autograd against central finite differences, in float64.
 *
 * The function's outputs (one tensor or several) are reduced to a scalar L = Σ_o Σ_i w_oi·y_oi with
 * fixed pseudo-random weights w (so every output element and every input element matters), then
 *   analytic  ∂L/∂x_j  from L.backward()
 *   numeric   (L(x + h·e_j) − L(x − h·e_j)) / 2h   (computed in plain float64, no autograd)
 * and each element must satisfy |analytic − numeric| ≤ atol + rtol·|numeric|.
 * Defaults: h = 1e-6, atol = 1e-6, rtol = 1e-5 (float64 central differences are accurate to about
 * h² ·|L'''| + ε·|L|/h ≈ 1e-10 on the O(1) inputs used here). Inputs must be float64; non-smooth ops
 * must be evaluated at points farther than h from their kinks.
 */
import { noGrad, type Tensor, tensor, tidy } from '../../src/tensor/index.ts';
import { mulberry32 } from '../../src/util/prng.ts';

export interface GradcheckOptions {
  h?: number;
  atol?: number;
  rtol?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Largest |analytic − numeric| over all checked elements. */
  maxAbsErr: number;
  /** Number of input elements compared. */
  checked: number;
  /** Human-readable description of the first failures (empty when ok). */
  message: string;
}

type Outputs = Tensor | Tensor[];

/** Deterministic weights in [-1, -0.25] ∪ [0.25, 1] (never ~0, so no output is ignored). */
function weights(n: number, seed: number): Float64Array {
  const next = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = next();
    out[i] = (u < 0.5 ? -1 : 1) * (0.25 + 1.5 * Math.abs(u - 0.5));
  }
  return out;
}

function asList(y: Outputs): Tensor[] {
  return Array.isArray(y) ? y : [y];
}

/** L = Σ w·y as a float64 scalar tensor (keeps the autograd graph when grad mode is on). */
function project(ys: Tensor[]): Tensor {
  let total: Tensor | null = null;
  ys.forEach((y, k) => {
    if (y.dtype !== 'float64') throw new Error(`gradcheck: output ${k} is ${y.dtype}, expected float64`);
    const w = tensor(weights(y.size, 1234 + 17 * k), { shape: y.shape });
    const term = y.mul(w).sum();
    total = total === null ? term : total.add(term);
  });
  if (total === null) throw new Error('gradcheck: function returned no outputs');
  return total;
}

/** Checks d fn(inputs) / d inputs. `inputs` are float64 tensors; they are not modified. */
export function gradcheck(
  fn: (...xs: Tensor[]) => Outputs,
  inputs: Tensor[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  const h = opts.h ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  for (const [i, x] of inputs.entries()) {
    if (x.dtype !== 'float64') throw new Error(`gradcheck: input ${i} is ${x.dtype}, expected float64`);
  }
  const data = inputs.map((x) => Float64Array.from(x.toArray()));
  const shapes = inputs.map((x) => x.shape);

  // Analytic gradients through autograd, on fresh leaves.
  const analytic: number[][] = tidy(() => {
    const leaves = data.map((d, i) => tensor(d, { shape: shapes[i] }).requiresGrad_(true));
    const loss = project(asList(fn(...leaves)));
    loss.backward();
    return leaves.map((leaf, i) => {
      const g = leaf.grad;
      return g === null ? new Array<number>(data[i]!.length).fill(0) : g.toArray();
    });
  });

  const evalAt = (i: number, perturbed: Float64Array): number =>
    tidy(() =>
      noGrad(() => {
        const xs = data.map((d, k) => tensor(k === i ? perturbed : d, { shape: shapes[k] }));
        return project(asList(fn(...xs))).item();
      }),
    );

  let maxAbsErr = 0;
  let checked = 0;
  const failures: string[] = [];
  for (let i = 0; i < data.length; i++) {
    const base = data[i]!;
    for (let j = 0; j < base.length; j++) {
      const p = Float64Array.from(base);
      p[j] = base[j]! + h;
      const up = evalAt(i, p);
      p[j] = base[j]! - h;
      const down = evalAt(i, p);
      const numeric = (up - down) / (2 * h);
      const a = analytic[i]![j]!;
      const err = Math.abs(a - numeric);
      checked++;
      if (Number.isNaN(err) || err > maxAbsErr) maxAbsErr = err;
      if (!(err <= atol + rtol * Math.abs(numeric)) && failures.length < 5) {
        failures.push(`input ${i} element ${j}: autograd ${a}, finite difference ${numeric}`);
      }
    }
  }
  return { ok: failures.length === 0, maxAbsErr, checked, message: failures.join('; ') };
}
