// Type-checked (not run) by test/package/run.sh against the installed package's .d.ts files: the
// exports map's `types` conditions resolve for the root and each subpath under NodeNext.
import { type DType, dpoLoss, loadCausalLM, type PreferenceLossOutput, type Tensor } from 'maxent-rlhf';
import { readPytorchBin, SafetensorsReader } from 'maxent-rlhf/io';
import { runDemo } from 'maxent-rlhf/lab';
import { type GPTNeoXConfig, isLlamaConfig, type ModelConfig, Tokenizer } from 'maxent-rlhf/models';
import { AdamW, tidy } from 'maxent-rlhf/tensor';
import { type SftConfig, trainSft } from 'maxent-rlhf/trainers';

export async function typed(dir: string): Promise<number> {
  const model = await loadCausalLM(dir);
  // A loaded model is GPT-NeoX or Llama/Qwen2 (config.json's model_type); the guard narrows it.
  const config: ModelConfig = model.config;
  const neox: GPTNeoXConfig | null = isLlamaConfig(config) ? null : config;
  const dtype: DType = 'float32';
  const weights: Map<string, Tensor> = readPytorchBin(`${dir}/pytorch_model.bin`);
  const out: PreferenceLossOutput = tidy(() =>
    dpoLoss(
      {
        policyChosen: weights.get('a')!,
        policyRejected: weights.get('b')!,
        chosenLengths: weights.get('c')!,
        rejectedLengths: weights.get('c')!,
      },
      { beta: 0.1 },
    ),
  );
  void [
    AdamW,
    SafetensorsReader,
    Tokenizer,
    runDemo,
    trainSft,
    dtype,
    config,
    neox,
    null as unknown as SftConfig,
  ];
  return out.loss.item();
}
