/**
 * The lab tokenizer in the Hugging Face `tokenizer.json` format: model `WordLevel` over
 * {@link LAB_VOCAB}, pre-tokenizer `Whitespace`, `<|endoftext|>` as the only special added token (id 0,
 * EOS and padding), `<unk>` for unknown words, no normalizer or post-processor, and decoder `null`:
 * with no decoder, both the Rust library and `@huggingface/tokenizers` rejoin tokens with single
 * spaces, which is how lab text is written (pass `clean_up_tokenization_spaces: false`, as
 * {@link buildLabTokenizerConfig} does, to keep the space before punctuation).
 */
import { EOS_TOKEN, UNK_TOKEN } from './lab-text.ts';
import { MAX_PROMPT_TOKENS } from './post.ts';
import { LAB_VOCAB } from './vocab.ts';

/** Longest prompt + response the lab model sees: the longest prompt and 32 response tokens. */
export const LAB_MODEL_MAX_LENGTH = MAX_PROMPT_TOKENS + 32;

/** The `tokenizer.json` object (a plain JSON value). */
export function buildLabTokenizerJson(): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 0,
        content: EOS_TOKEN,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: {
      type: 'WordLevel',
      vocab: Object.fromEntries(LAB_VOCAB.map((token, id) => [token, id])),
      unk_token: UNK_TOKEN,
    },
  };
}

/**
 * The `tokenizer_config.json` object. `unk_token` is repeated here because `@huggingface/tokenizers`
 * reads a WordLevel model's unknown token only from this config.
 */
export function buildLabTokenizerConfig(): object {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: null,
    eos_token: EOS_TOKEN,
    pad_token: EOS_TOKEN,
    unk_token: UNK_TOKEN,
    clean_up_tokenization_spaces: false,
    model_max_length: LAB_MODEL_MAX_LENGTH,
  };
}
