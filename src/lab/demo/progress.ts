/** Progress bars for the demo's stages (cli-progress); plain lines when not on a terminal. */
import cliProgress from 'cli-progress';

export interface StageProgress {
  update(step: number, info?: Record<string, number>): void;
  stop(): void;
}

export function stageProgress(
  name: string,
  total: number,
  show: (m: Record<string, number>) => string,
): StageProgress {
  const tty = Boolean(process.stderr.isTTY);
  const bar = new cliProgress.SingleBar(
    {
      format: `${name.padEnd(24)} {bar} {value}/{total} {info}`,
      stream: process.stderr,
      hideCursor: tty,
      noTTYOutput: !tty,
      notTTYSchedule: 5000,
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: '' });
  return {
    update: (step, info) => bar.update(step, { info: info ? show(info) : '' }),
    stop: () => bar.stop(),
  };
}

export { fmt } from '../../util/format.ts';
