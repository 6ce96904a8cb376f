/**
 * Side check, never in CI: the Rust `tokenizers` library (Python bindings) encodes the Llama-family
 * tokenizer.json layouts of test/models/llama-tokenizer-fixtures.ts as our Tokenizer does
 * (@huggingface/tokenizers). Prints, per layout, how many of the texts got identical ids.
 *
 *   node bin/run-ts.mjs scripts/tokenizer-side-check.ts PYTHON   # a python with `tokenizers`
 */
import { execFileSync } from 'node:child_process';
import { Tokenizer } from '../src/models/tokenizer/index.ts';
import {
  LLAMA2_JSON,
  METASPACE_JSON,
  qwen2StyleTokenizerJson,
} from '../test/models/llama-tokenizer-fixtures.ts';

const python = process.argv[2] ?? 'python3';
const TEXTS = [
  'hello world',
  'hello wörld',
  'héllo  world!',
  '日本 hello',
  '  leading spaces and trailing  ',
  'tabs\tand\nnewlines\n\nhere',
  "it's the world's 42nd hello",
  'emoji 🙂 and ünïcödé',
];
const LAYOUTS: [string, object][] = [
  ['SentencePiece BPE, byte fallback, Prepend/Replace normaliser (Llama 2)', LLAMA2_JSON],
  ['SentencePiece BPE, byte fallback, Metaspace pre-tokenizer', METASPACE_JSON],
  ['byte-level BPE behind a Split regex (Qwen2)', qwen2StyleTokenizerJson().json],
];
const PROGRAM = `
import json, sys
from tokenizers import Tokenizer, __version__
jobs = json.load(sys.stdin)
out = [[Tokenizer.from_str(json.dumps(j["json"])).encode(t, add_special_tokens=False).ids for t in j["texts"]] for j in jobs]
print(json.dumps({"version": __version__, "ids": out}))
`;
const rust = JSON.parse(
  execFileSync(python, ['-c', PROGRAM], {
    input: JSON.stringify(LAYOUTS.map(([, json]) => ({ json, texts: TEXTS }))),
    encoding: 'utf8',
  }),
) as { version: string; ids: number[][][] };
console.log(`tokenizers (Rust) ${rust.version} against @huggingface/tokenizers through our Tokenizer`);
LAYOUTS.forEach(([name, json], i) => {
  const ours = Tokenizer.fromJSON(json);
  const same = TEXTS.filter((t, k) => JSON.stringify(ours.encode(t)) === JSON.stringify(rust.ids[i]![k]));
  const differ = TEXTS.filter((t) => !same.includes(t));
  console.log(
    `${name}: ${same.length}/${TEXTS.length} identical${differ.length ? `; differ: ${JSON.stringify(differ)}` : ''}`,
  );
});
