/**
 * SFT and preference datasets from JSONL, JSON or Parquet, validated row by row (errors name the
 * file, row and field), and seeded train/eval splits.
 * @module data
 */
export * from '../data/index.ts';
