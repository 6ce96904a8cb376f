// Each vitest worker gets one libtorch thread: two workers share the two cores without oversubscription.
// The processes the tests start (CLI runs, ranks, fixtures) inherit MAXENT_THREADS=1 for the same
// reason: on an MKL libtorch the default policy would give each of them every core.
import { afterEach, beforeEach, expect } from 'vitest';
import { liveTensors, scopeDepth, setNumThreads } from '../src/tensor/index.ts';

process.env.MAXENT_THREADS ??= '1';
setNumThreads(1);

// Every test of test/tensor/ ends with no tidy scope open and as many live tensors as it began with
// (a leaked or early-freed tensor fails the test that did it) — but memory.test.ts, which leaks on
// purpose to measure what tidy saves.
const LEAK_CHECKED = /[\\/]test[\\/]tensor[\\/](?!memory\.test\.ts$)[^\\/]+$/;
let liveAtStart = 0;
beforeEach(() => {
  liveAtStart = liveTensors();
});
afterEach((context) => {
  if (!LEAK_CHECKED.test(context.task.file.filepath)) return;
  expect(scopeDepth(), 'a tidy scope is still open').toBe(0);
  expect(liveTensors(), 'live tensors after the test').toBe(liveAtStart);
});
