// Each vitest worker gets one libtorch thread: two workers share the two cores without oversubscription.
import { setNumThreads } from '../src/tensor/index.ts';

setNumThreads(1);
