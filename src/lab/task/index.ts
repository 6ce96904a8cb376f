/** The built-in lab's synthetic summarisation task: data, tokenizer and gold judge. */
export {
  type LabCandidate,
  type LabCandidateKind,
  offDistributionProbes,
  PROBE_KINDS,
  type ProbeKind,
  randomFormSummary,
} from './candidates.ts';
export {
  generateLabDataset,
  generatePreferencePosts,
  LAB_STREAMS,
  type LabDataset,
  type LabDatasetOptions,
  type LabSftRow,
} from './dataset.ts';
export {
  ALL_FACT_KEYWORDS,
  ASKS,
  CONTEXTS,
  type FactOption,
  PROBLEMS,
  SUBJECTS,
  TIMINGS,
} from './fact-catalog.ts';
export { FACT_NAMES, type FactName, keyFactOptions, type LabFacts, postKeywords } from './facts.ts';
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
export { canonicalSummary, EOS_TOKEN, formatSummary, splitLabText, UNK_TOKEN } from './lab-text.ts';
export {
  drawReferenceForm,
  generatePost,
  type LabPost,
  MAX_PROMPT_TOKENS,
  REFERENCE_HABITS,
} from './post.ts';
export {
  FILLERS,
  GENERIC_SUBREDDIT,
  PROBLEM_SENTENCE_TEMPLATES,
  TITLE_TEMPLATES,
} from './post-phrases.ts';
export {
  buildPreferenceDataset,
  type LabelPairsOptions,
  type LabPreferenceRow,
  labelPreferencePairs,
  type PostCandidates,
  type PreferenceDatasetOptions,
} from './preference-pairs.ts';
export { createRng, deriveSeed, type Rng } from './rng.ts';
export {
  allSummaryForms,
  COMPLETE_FORM,
  completeSummary,
  formatSummaryForm,
  type SummaryForm,
  summaryTokens,
  TERSE_FORM,
  VAGUE_ASK,
} from './summary.ts';
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
