#pragma once
#include <napi.h>

namespace mx {
void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterOptim(Napi::Env env, Napi::Object exports);
void RegisterRuntime(Napi::Env env, Napi::Object exports);
void RegisterPickle(Napi::Env env, Napi::Object exports);
void RegisterDistributed(Napi::Env env, Napi::Object exports);
void RegisterGenerate(Napi::Env env, Napi::Object exports);
void RegisterTokenScores(Napi::Env env, Napi::Object exports);
}  // namespace mx
