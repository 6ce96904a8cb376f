/** Autograd switches: run code without building a graph (sampling, evaluation, reference models). */
import { native } from '../native/binding.ts';

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const was = native.isGradEnabled();
  native.setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    native.setGradEnabled(was);
  }
}

/** Runs fn with autograd recording off (like torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with autograd recording on (like torch.enable_grad()). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}
