// Each vitest worker gets one libtorch thread: two workers share the two cores without oversubscription.
// The processes the tests start (CLI runs, ranks, fixtures) inherit MAXENT_THREADS=1 for the same
// reason: on an MKL libtorch the default policy would give each of them every core.
import { setNumThreads } from '../src/tensor/index.ts';

process.env.MAXENT_THREADS ??= '1';
setNumThreads(1);
