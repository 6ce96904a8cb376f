/** The built-in lab's synthetic summarisation task: data, tokenizer and gold judge. */
export { type LabCandidate, type LabCandidateKind, makeCandidates } from './candidates.ts';
export {
  generateLabDataset,
  LAB_STREAMS,
  type LabDataset,
  type LabDatasetOptions,
  type LabSftRow,
} from './dataset.ts';
export { ALL_FACT_KEYWORDS, ASKS, type FactOption, PROBLEMS, SUBJECTS } from './fact-catalog.ts';
export { keyFactOptions, type LabFacts, postKeywords } from './facts.ts';
export {
  DEFAULT_LABEL_TEMPERATURE,
  type GoldPreference,
  type GoldPreferenceOptions,
  goldPreference,
  preferenceProbability,
  sigmoid,
} from './gold-preference.ts';
export {
  type GoldScore,
  type GoldScoreCounts,
  type GoldScoreParts,
  goldScore,
  lengthBudget,
} from './gold-score.ts';
export * from './gold-weights.ts';
export { EOS_TOKEN, formatSummary, splitLabText, UNK_TOKEN } from './lab-text.ts';
export { FLAWED_REFERENCE_PROBABILITY, generatePost, type LabPost, MAX_PROMPT_TOKENS } from './post.ts';
export {
  FILLERS,
  GENERIC_SUBREDDIT,
  PROBLEM_SENTENCE_TEMPLATES,
  SITUATIONS,
  TITLE_TEMPLATES,
} from './post-phrases.ts';
export {
  buildPreferenceDataset,
  type LabPreferenceRow,
  type PreferenceDatasetOptions,
} from './preference-dataset.ts';
export {
  FAITHFUL_STYLES,
  type ReferenceStyle,
  referenceSummary,
  referenceSummaryTokens,
  VAGUE_ASK,
} from './reference-summary.ts';
export { createRng, deriveSeed, type Rng } from './rng.ts';
export { buildLabTokenizerConfig, buildLabTokenizerJson, LAB_MODEL_MAX_LENGTH } from './tokenizer-json.ts';
export { LAB_TOKEN_IDS, LAB_VOCAB } from './vocab.ts';
export { winRate } from './win-rate.ts';
export {
  LAB_FILES,
  toJsonl,
  writeLabTokenizerFiles,
  writePreferenceFile,
  writeSftFiles,
} from './write-files.ts';
