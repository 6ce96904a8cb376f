/**
 * Counted host memory (native/src/runtime.cc's counting CPU allocator): the bytes of tensors and of
 * the temporaries inside an op, against byte counts worked out by hand from shapes and dtypes.
 */
import { describe, expect, it } from 'vitest';
import {
  dispose,
  hostMemoryStats,
  resetHostMemoryPeak,
  tidy,
  trackHostMemory,
  zeros,
} from '../../src/tensor/index.ts';

describe('host memory stats', () => {
  trackHostMemory();

  it('counts a tensor at its bytes while it lives, and nothing once disposed', () => {
    const before = hostMemoryStats();
    expect(before.tracked).toBe(true);
    const a = zeros([1000, 250]); // 250,000 float32 = 1,000,000 B
    expect(hostMemoryStats().current - before.current).toBe(1_000_000);
    const b = zeros([10, 10], { dtype: 'int64' }); // 100 × 8 B
    expect(hostMemoryStats().current - before.current).toBe(1_000_800);
    dispose(a);
    dispose(b);
    expect(hostMemoryStats().current).toBe(before.current);
  });

  it('the peak sees tensors freed since, and a reset starts it at the current count', () => {
    resetHostMemoryPeak();
    const start = hostMemoryStats();
    expect(start.peak).toBe(start.current);
    tidy(() => {
      zeros([500, 500]); // 1,000,000 B
      zeros([500, 1000]); // 2,000,000 B, alive at once with the first
    });
    const after = hostMemoryStats();
    expect(after.current).toBe(start.current);
    expect(after.peak - start.current).toBe(3_000_000);
    resetHostMemoryPeak();
    expect(hostMemoryStats().peak).toBe(start.current);
  });

  it("counts an op's output: x + 1 over 1,000 float64 values holds 8,000 B more", () => {
    const x = zeros([1000], { dtype: 'float64' });
    resetHostMemoryPeak();
    const base = hostMemoryStats().current;
    const y = x.add(1);
    expect(hostMemoryStats().current - base).toBe(8000);
    expect(hostMemoryStats().peak - base).toBeGreaterThanOrEqual(8000);
    dispose(x);
    dispose(y);
  });
});
