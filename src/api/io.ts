/**
 * Weight files: safetensors (streaming reader, atomic writer, tensor bridging) and PyTorch's
 * `torch.save` zip checkpoints (`pytorch_model.bin`), read without Python.
 * @module io
 */
export * from '../io/pytorch-bin.ts';
export * from '../io/safetensors.ts';
export { loadTensors, safetensorsDType, saveTensors, tensorDType, tensorFromBytes } from '../io/tensor-io.ts';
