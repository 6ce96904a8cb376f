/**
 * PyTorch checkpoints as HF ships them (`pytorch_model.bin`, single or sharded): the zip archives
 * `torch.save` writes since PyTorch 1.6, read by the addon's restricted unpickler
 * (native/src/pickle.cc) — no Python, and nothing in the file is run. Legacy pickles (torch < 1.6, or
 * `_use_new_zipfile_serialization=False`) are refused with an error naming the file.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { native } from '../native/binding.ts';
import { keep } from '../tensor/scope.ts';
import { type Tensor, wrap } from '../tensor/tensor.ts';

/** A PyTorch checkpoint that cannot be read; the message names the file. */
export class PytorchBinError extends Error {
  override name = 'PytorchBinError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const PICKLE_PROTO = 0x80;

function firstBytes(path: string, n: number): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new PytorchBinError(
      path,
      `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    const buf = new Uint8Array(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads every tensor of a `torch.save` zip archive holding a dict of tensors (a state dict), on the
 * CPU in the file's dtypes, in the file's order. The tensors belong to the caller (kept out of any
 * open scope); each owns its memory.
 */
export function readPytorchBin(path: string): Map<string, Tensor> {
  const head = firstBytes(path, 4);
  if (!ZIP_MAGIC.every((b, i) => head[i] === b)) {
    if (head[0] === PICKLE_PROTO)
      throw new PytorchBinError(
        path,
        'legacy (non-zip) torch.save format, which can only be read by running Python pickle code: refused. ' +
          'Re-save it with PyTorch ≥ 1.6 (torch.save(torch.load(f), f)) or convert it to safetensors',
      );
    throw new PytorchBinError(path, 'not a PyTorch zip archive (no zip signature)');
  }
  let loaded: ReturnType<typeof native.readTorchZip>;
  try {
    loaded = native.readTorchZip(path);
  } catch (e) {
    throw new PytorchBinError(path, (e as Error).message.replace(/^readTorchZip: /, ''));
  }
  const out = new Map<string, Tensor>();
  for (const [i, name] of loaded.names.entries()) out.set(name, keep(wrap(loaded.tensors[i]!)));
  return out;
}
