/**
 * Issue 23: the default thread policy per BLAS flavour (src/native/thread-policy.ts). OpenBLAS has its
 * own pool, so torch's intra-op pool gets 1 thread; MKL runs on torch's intra-op pool, so it gets the
 * cores (or a launcher's OMP_NUM_THREADS share); MAXENT_THREADS overrides either.
 */
import { describe, expect, it } from 'vitest';
import { blasFlavour, threadPolicy } from '../../src/native/thread-policy.ts';
import { engineInfo } from '../../src/tensor/index.ts';

const OPENBLAS = { openblasSymbol: true, mklAvailable: false };
const MKL = { openblasSymbol: false, mklAvailable: true };
const NEITHER = { openblasSymbol: false, mklAvailable: false };

describe('threadPolicy', () => {
  it('names the flavour: OpenBLAS when its symbol is loaded, else MKL when built with it', () => {
    expect(blasFlavour(OPENBLAS)).toBe('openblas');
    expect(blasFlavour({ openblasSymbol: true, mklAvailable: true })).toBe('openblas');
    expect(blasFlavour(MKL)).toBe('mkl');
    expect(blasFlavour(NEITHER)).toBe('other');
  });

  it('OpenBLAS: 1 intra-op thread whatever the cores or OMP_NUM_THREADS', () => {
    for (const cores of [1, 2, 16])
      expect(threadPolicy(OPENBLAS, { OMP_NUM_THREADS: '4' }, cores)).toMatchObject({
        intraOp: 1,
        source: 'policy',
      });
  });

  it('MKL and other BLAS: every core, or the OMP_NUM_THREADS share a launcher gives', () => {
    expect(threadPolicy(MKL, {}, 16)).toMatchObject({ blas: 'mkl', intraOp: 16, source: 'policy' });
    expect(threadPolicy(MKL, { OMP_NUM_THREADS: '4' }, 16)).toMatchObject({
      intraOp: 4,
      source: 'OMP_NUM_THREADS',
    });
    expect(threadPolicy(NEITHER, {}, 2)).toMatchObject({ blas: 'other', intraOp: 2 });
    expect(threadPolicy(MKL, { OMP_NUM_THREADS: 'lots' }, 3).intraOp).toBe(3);
  });

  it('MAXENT_THREADS overrides; a malformed one is ignored', () => {
    expect(threadPolicy(OPENBLAS, { MAXENT_THREADS: '3' }, 2)).toMatchObject({
      intraOp: 3,
      source: 'MAXENT_THREADS',
    });
    expect(threadPolicy(MKL, { MAXENT_THREADS: '1' }, 8)).toMatchObject({
      intraOp: 1,
      source: 'MAXENT_THREADS',
    });
    expect(threadPolicy(MKL, { MAXENT_THREADS: '0' }, 8).intraOp).toBe(8);
    expect(threadPolicy(OPENBLAS, { MAXENT_THREADS: 'four' }, 8).intraOp).toBe(1);
  });

  it("engineInfo reports this build's policy, consistent with its BLAS", () => {
    const info = engineInfo();
    expect(info.threadPolicy.blas).toBe(blasFlavour(info));
    expect(info.threadPolicy.intraOp).toBeGreaterThanOrEqual(1);
    expect([17, 20]).toContain(info.cxxStandard);
  });
});
