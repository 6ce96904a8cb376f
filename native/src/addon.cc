// Node-API entry point of the maxent-rlhf libtorch binding.
#include <napi.h>

#include "ops.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  mx::RegisterOps(env, exports);
  mx::RegisterOptim(env, exports);
  mx::RegisterRuntime(env, exports);
  mx::RegisterPickle(env, exports);
  mx::RegisterDistributed(env, exports);
  mx::RegisterGenerate(env, exports);
  mx::RegisterTokenScores(env, exports);
  return exports;
}

NODE_API_MODULE(maxent_rlhf_torch, Init)
