/** Writing safetensors files atomically, streaming one tensor at a time through a single file handle. */
import { writeFileAtomically } from './atomic-write.ts';
import { checkDataLength, planLayout, type TensorToWrite } from './safetensors-layout.ts';

/**
 * Writes `tensors` (laid out contiguously in the order given) and optional string `metadata` to `path`.
 * All input is validated before any file is created; a lazy `data` is produced only when its turn comes,
 * so a large model is never held twice in JS memory. Atomic: on any error (a SafetensorsError, a producer
 * that throws, an I/O failure) the temporary file is removed and an existing `path` is left untouched.
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorToWrite[],
  metadata?: Record<string, string>,
): Promise<void> {
  const layout = planLayout(tensors, metadata, path);
  await writeFileAtomically(path, async (sink) => {
    await sink.write(layout.header);
    for (const tensor of layout.tensors) {
      const data = typeof tensor.data === 'function' ? await tensor.data() : tensor.data;
      checkDataLength(data, tensor, path);
      await sink.write(data);
    }
  });
}
