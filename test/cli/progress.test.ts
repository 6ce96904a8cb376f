/**
 * Issue 26, item 2: every training command shows its progress with the step rate, the ETA and the
 * key metrics: a redrawn bar on a terminal, a plain line per step otherwise. A fake clock gives
 * hand-computable rates: steps 1…3 at 0.5 s each → 2.00 steps/s, 7 steps left → ETA 0:04 (3.5 s).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatRate, stepProgress } from '../../src/experiments/progress.ts';
import { progressLine } from '../../src/experiments/run-folder.ts';

const clock = (times: number[]) => {
  let i = 0;
  return () => times[Math.min(i++, times.length - 1)]!;
};

describe('progress', () => {
  it('plain lines: step, metrics, measured rate and ETA', () => {
    const lines: string[] = [];
    const now = clock([0, 500, 1000, 1500]); // the start, then one reading per update
    const p = stepProgress('sft', 10, { tty: false, print: (l) => lines.push(l), now });
    p.update(1, 'loss 2.0000');
    p.update(2, 'loss 1.5000');
    p.update(3, 'loss 1.2500');
    p.stop();
    expect(lines).toEqual([
      'sft step 1/10  loss 2.0000  2.00 steps/s  ETA 0:05', // 9 left at 2/s = 4.5 s, rounded
      'sft step 2/10  loss 1.5000  2.00 steps/s  ETA 0:04',
      'sft step 3/10  loss 1.2500  2.00 steps/s  ETA 0:04', // 3.5 s
    ]);
  });

  it('a resumed run counts its rate from the first step it runs', () => {
    const lines: string[] = [];
    const now = clock([0, 4000, 8000]);
    const p = stepProgress('rl', 100, { tty: false, print: (l) => lines.push(l), now });
    p.update(51, '');
    p.update(52, '');
    expect(lines).toEqual(['rl step 51/100  4.0 s/step  ETA 3:16', 'rl step 52/100  4.0 s/step  ETA 3:12']);
  });

  it('on a terminal: one bar redrawn in place, with the rate, ETA and metrics', () => {
    let out = '';
    const stream = Object.assign(
      new Writable({
        write(chunk, _enc, done) {
          out += String(chunk);
          done();
        },
      }),
      { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    );
    const now = clock([0, 1000, 2000]);
    const p = stepProgress('po', 4, { tty: true, stream, now, print: () => expect.unreachable() });
    p.update(1, 'loss 0.6931');
    p.update(2, 'loss 0.5000');
    p.stop();
    expect(out).toMatch(/po [█░]{24} 2\/4 \| 1\.00 steps\/s \| ETA 0:02 \| loss 0\.5000/);
    expect(out).not.toMatch(/\n.*\n.*step 1\/4/); // no line per step
  });

  it('formats durations and rates', () => {
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatRate(0.25)).toBe('4.0 s/step');
    expect(formatRate(12.345)).toBe('12.35 steps/s');
  });

  it('the line of a step keeps the metrics it always had', () => {
    expect(progressLine('rm', 3, 10, { loss: 0.5, accuracy: 0.75, lr: 1e-4, other: 1 })).toBe(
      'rm step 3/10  loss 0.5000  accuracy 0.7500  lr 1.00e-4',
    );
  });
});
