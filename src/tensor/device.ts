/**
 * Devices. New tensors go to the default device unless a factory is told otherwise ('cpu', 'cuda',
 * 'cuda:1'); a run sets it for its duration (withDefaultDevice) so that everything it creates —
 * batches, masks, noise, generators — lives beside its models. A device setting is 'auto' | 'cpu'
 * | 'cuda' | 'cuda:N'; 'auto' is CUDA when the linked libtorch has it, else the CPU.
 */
import { native } from '../native/binding.ts';

let defaultDevice = 'cpu';

export function setDefaultDevice(device: string): void {
  defaultDevice = device;
}

export function getDefaultDevice(): string {
  return defaultDevice;
}

/** Runs `fn` (sync or async) with `device` as the default device, restoring the previous one after. */
export function withDefaultDevice<T>(device: string, fn: () => T): T {
  const previous = defaultDevice;
  defaultDevice = device;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    defaultDevice = previous;
    throw e;
  }
  if (result instanceof Promise)
    return result.finally(() => {
      defaultDevice = previous;
    }) as T;
  defaultDevice = previous;
  return result;
}

let cuda: { available: boolean; devices: number } | null = null;

/** Whether the linked libtorch has CUDA, and how many devices it sees (asked once). */
export function cudaInfo(): { available: boolean; devices: number } {
  if (!cuda) {
    const info = native.info();
    cuda = { available: info.cudaAvailable, devices: info.cudaDevices };
  }
  return cuda;
}

/** The settings a config or flag may give. */
export const DEVICE_SETTING = /^(auto|cpu|cuda(:\d+)?)$/;

/** Why `setting` cannot be used with the linked libtorch, or null when it can. */
export function deviceProblem(setting: string): string | null {
  if (!DEVICE_SETTING.test(setting)) return `expected auto, cpu, cuda or cuda:N, got "${setting}"`;
  if (setting === 'auto' || setting === 'cpu') return null;
  const { available, devices: cudaDevices } = cudaInfo();
  if (!available)
    return (
      `"${setting}" needs CUDA, but the linked libtorch is CPU-only or sees no GPU: build the addon ` +
      'against a CUDA libtorch (LIBTORCH=…, see README "Running on a GPU"), or use cpu / auto'
    );
  const index = setting === 'cuda' ? 0 : Number(setting.slice(5));
  if (index >= cudaDevices)
    return `"${setting}": this machine has ${cudaDevices} CUDA device${cudaDevices === 1 ? '' : 's'} (cuda:0 … cuda:${cudaDevices - 1})`;
  return null;
}

/** The device a setting names here: 'cpu' or 'cuda:N' ('auto' → 'cuda:0' when CUDA is available). */
export function resolveDevice(setting: string): string {
  const problem = deviceProblem(setting);
  if (problem) throw new Error(`device ${problem}`);
  if (setting === 'auto') return cudaInfo().available ? 'cuda:0' : 'cpu';
  return setting === 'cuda' ? 'cuda:0' : setting;
}

/**
 * The device of a data-parallel rank: under a launcher (`localRank` given) 'auto' with CUDA is
 * cuda:LOCAL_RANK, one GPU per rank on each host; any other setting as resolveDevice says.
 */
export function rankDevice(setting: string, localRank: number | null): string {
  const { available, devices } = cudaInfo();
  if (setting !== 'auto' || localRank === null || !available) return resolveDevice(setting);
  if (localRank >= devices)
    throw new Error(
      `device auto: rank with LOCAL_RANK ${localRank} has no GPU of its own on this host (${devices} CUDA device${devices === 1 ? '' : 's'}): launch at most ${devices} ranks per host`,
    );
  return `cuda:${localRank}`;
}
