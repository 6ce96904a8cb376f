#pragma once
#include <napi.h>

#include <cstdint>

namespace mx {
void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterOptim(Napi::Env env, Napi::Object exports);
void RegisterRuntime(Napi::Env env, Napi::Object exports);
void RegisterPickle(Napi::Env env, Napi::Object exports);
void RegisterDistributed(Napi::Env env, Napi::Object exports);
void RegisterGenerate(Napi::Env env, Napi::Object exports);
void RegisterTokenScores(Napi::Env env, Napi::Object exports);
// Whether runDecodeLoop was compiled with CUDA-graph capture, and how many steps it replayed so.
bool CudaGraphsBuilt();
int64_t CudaGraphSteps();
}  // namespace mx
