/** Dense float64 linear solve by Gaussian elimination with partial pivoting (small systems only). */

/** Solves A x = b; returns undefined when A is singular to working precision. */
export function solveLinearSystem(matrix: readonly number[][], rhs: readonly number[]): number[] | undefined {
  const n = rhs.length;
  const a = matrix.map((row, i) => [...row, rhs[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++)
      if (Math.abs(a[row]![col]!) > Math.abs(a[pivot]![col]!)) pivot = row;
    if (Math.abs(a[pivot]![col]!) < 1e-300) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let row = col + 1; row < n; row++) {
      const factor = a[row]![col]! / a[col]![col]!;
      for (let k = col; k <= n; k++) a[row]![k]! -= factor * a[col]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let acc = a[row]![n]!;
    for (let k = row + 1; k < n; k++) acc -= a[row]![k]! * x[k]!;
    x[row] = acc / a[row]![row]!;
  }
  return x;
}
