// Bridging between JS values and libtorch objects.
//
// A tensor crosses into JS as a Napi::External holding a heap-allocated at::Tensor, tagged so that
// foreign externals are rejected. Disposing resets the at::Tensor (freeing its storage at once);
// the External's GC finalizer only deletes the small holder (and the storage if never disposed).
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <atomic>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace mx {

extern std::atomic<int64_t> g_live_tensors;

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Napi::Value WrapTensor(Napi::Env env, at::Tensor t);
at::Tensor& UnwrapTensor(const Napi::Value& v, const char* what);
bool IsTensor(const Napi::Value& v);
std::string DescribeTensor(const at::Tensor& t);

at::ScalarType DTypeFromCode(int code);
int CodeFromDType(at::ScalarType t);
at::Device DeviceFromString(const std::string& s);

// Argument accessors: throw JsError naming the argument on a wrong type.
at::Tensor& T(const Napi::CallbackInfo& info, size_t i);
c10::optional<at::Tensor> OptT(const Napi::CallbackInfo& info, size_t i);
int64_t I(const Napi::CallbackInfo& info, size_t i);
double D(const Napi::CallbackInfo& info, size_t i);
bool B(const Napi::CallbackInfo& info, size_t i);
std::string S(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> Ints(const Napi::CallbackInfo& info, size_t i);
std::vector<at::Tensor> Tensors(const Napi::CallbackInfo& info, size_t i);
at::Scalar Sc(const Napi::CallbackInfo& info, size_t i);
Napi::Value WrapList(Napi::Env env, const std::vector<at::Tensor>& ts);

// Runs body, converting every libtorch/C++ exception into a JS Error that names the op and
// describes each tensor argument (shape, dtype, device).
Napi::Value Guard(const Napi::CallbackInfo& info, const char* op, const std::function<Napi::Value()>& body);

}  // namespace mx

// Declares a binding `js_name` (exported to JS as `name`) whose body may use `info` and `env` and must return a Napi::Value.
#define MX_OP(name)                                                             \
  static Napi::Value name##_body(const Napi::CallbackInfo& info, Napi::Env env); \
  static Napi::Value js_##name(const Napi::CallbackInfo& info) {                \
    return mx::Guard(info, #name, [&]() { return name##_body(info, info.Env()); }); \
  }                                                                             \
  static Napi::Value name##_body(const Napi::CallbackInfo& info, Napi::Env env)
