/**
 * The plan blocks of docs/gpu.md: `<!-- plan: --config FILE [--gpu-memory GiB] -->` followed by
 * the output of `maxent-rlhf plan` with those flags, up to `<!-- /plan -->`
 * (scripts/gen-gpu-docs.ts writes them; a test checks they are current).
 */
import { formatPlan, planConfig } from './plan.ts';

const BLOCK = /<!-- plan: (.*?) -->\n[\s\S]*?<!-- \/plan -->/g;

function flags(args: string): { config: string; gpuMemory?: string } {
  const words = args.trim().split(/\s+/);
  const value = (name: string) => {
    const i = words.indexOf(name);
    return i >= 0 ? words[i + 1] : undefined;
  };
  const config = value('--config');
  if (!config) throw new Error(`plan block "${args}" has no --config`);
  return { config, gpuMemory: value('--gpu-memory') };
}

/** `text` with every plan block regenerated. */
export async function planBlocks(text: string): Promise<string> {
  const blocks = [...text.matchAll(BLOCK)];
  let out = text;
  for (const m of blocks) {
    const o = flags(m[1]!);
    const body = formatPlan(o.config, await planConfig(o));
    const command = `maxent-rlhf plan ${m[1]!.trim()}`;
    const block = `<!-- plan: ${m[1]} -->\n\n\`\`\`\n$ ${command}\n\`\`\`\n\n${body}\n\n<!-- /plan -->`;
    out = out.replace(m[0], () => block);
  }
  return out;
}
