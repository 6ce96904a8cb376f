/** The device new tensors are created on unless a factory is told otherwise ('cpu', 'cuda', 'cuda:1'). */
let defaultDevice = 'cpu';

export function setDefaultDevice(device: string): void {
  defaultDevice = device;
}

export function getDefaultDevice(): string {
  return defaultDevice;
}
