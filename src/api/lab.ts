/**
 * The built-in lab: a synthetic TL;DR task with a transparent gold judge (docs/lab-task.md), the
 * demo pipeline that reproduces the paper's comparison on it, and resumable sweeps.
 * @module lab
 */
export { DEMO_PRESETS, type DemoConfig, type DemoPreset } from '../lab/demo/config.ts';
export { type DemoOptions, runDemo } from '../lab/demo/pipeline.ts';
export * from '../lab/sweep/index.ts';
export * from '../lab/task/index.ts';
