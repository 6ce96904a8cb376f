/**
 * The paper's statements checked numerically on exact tabular problems (float64): SimPO read as
 * Maximum-Entropy RL, where the derivation holds and where it breaks.
 * @module theory
 */
export * from '../theory/index.ts';
