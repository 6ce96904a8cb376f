/** Exact information quantities of finite distributions (natural logarithms, nats). */

/** Shannon entropy H(p) = −Σ_y p(y) log p(y), with 0·log 0 = 0. */
export function entropy(p: readonly number[]): number {
  let h = 0;
  for (const pi of p) if (pi > 0) h -= pi * Math.log(pi);
  return h;
}

/** KL(p‖q) = Σ_y p(y) log(p(y)/q(y)); +∞ when p puts mass where q has none. */
export function klDivergence(p: readonly number[], q: readonly number[]): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi === 0) continue;
    const qi = q[i]!;
    if (qi === 0) return Number.POSITIVE_INFINITY;
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}
