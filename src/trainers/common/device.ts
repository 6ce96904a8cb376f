/**
 * The `device` key of every trainer config, and the device a run lives on. 'auto' is CUDA when the
 * linked libtorch has it (the CLI loads every model there); a trainer given models already loaded
 * runs where they are, and any other setting must match them.
 */
import { z } from 'zod';
import { deviceProblem, resolveDevice, type Tensor, withDefaultDevice } from '../../tensor/index.ts';

export const DeviceSchema = z
  .string()
  .default('auto')
  .superRefine((setting, ctx) => {
    const problem = deviceProblem(setting);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe(
    'auto | cpu | cuda | cuda:N: where every tensor of the run lives (models, rollouts, masks, generators); auto: CUDA when the linked libtorch has it',
  );

/** Where metrics go besides the run folder (TRL's `report_to`). */
export const REPORT_TARGETS = ['jsonl', 'tensorboard'] as const;
export type ReportTarget = (typeof REPORT_TARGETS)[number];

export const ReportToSchema = z
  .array(z.enum(REPORT_TARGETS))
  .default(['jsonl'])
  .describe(
    "TRL's report_to: jsonl (metrics.jsonl, always written: resume, report and dashboard read it) and tensorboard (event files in RUN_DIR/tensorboard/: scalars, the config as text and as HParams)",
  );

export const DtypeSchema = z
  .enum(['float32', 'bfloat16'])
  .default('float32')
  .describe(
    'compute dtype of the models; bfloat16: mixed precision as DeepSpeed/Accelerate bf16 (bf16 forward and backward, float32 master weights, gradient accumulation and AdamW state, log-softmax and heads in float32)',
  );

/**
 * The run's device: `setting` resolved ('auto': where the first model's parameters are), checked
 * against every given model's parameters. Throws naming the model and the config key otherwise.
 */
export function runDevice(
  setting: string,
  models: Record<string, Map<string, Tensor> | null | undefined>,
): string {
  const present = Object.entries(models).filter((e): e is [string, Map<string, Tensor>] => !!e[1]);
  const first = present[0]?.[1].values().next().value as Tensor | undefined;
  const device = setting === 'auto' && first ? first.device : resolveDevice(setting);
  for (const [name, params] of present)
    for (const [param, t] of params)
      if (t.device !== device)
        throw new Error(
          `device: the run is on ${device} (device: ${setting}), but the ${name}'s ${param} is on ${t.device}: ` +
            'load every model on the run device',
        );
  return device;
}

/** Runs `fn` on the run's device (see runDevice) as the default device for every tensor it creates. */
export function onRunDevice<T>(
  setting: string,
  models: Record<string, Map<string, Tensor> | null | undefined>,
  fn: (device: string) => Promise<T>,
): Promise<T> {
  const device = runDevice(setting, models);
  return withDefaultDevice(device, () => fn(device));
}
