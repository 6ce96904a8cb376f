// Bridging between JS values and libtorch objects.
//
// A libtorch object crosses into JS as a Napi::External holding a heap-allocated C++ object, type-tagged
// (napi_type_tag_object) with its kind: tensor, generator or process group. Every accessor checks the
// tag before it touches the pointer, so a generator passed where a tensor is expected (or an external
// from another addon) is a JS Error, never a reinterpretation of foreign memory.
// Disposing a tensor resets the at::Tensor (freeing its storage at once); the External's GC
// finalizer only deletes the small holder (and the storage if never disposed).
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

// The kinds of handle this addon hands out. Not a handle: anything else (numbers, objects, foreign externals).
enum class HandleKind { None, Tensor, Generator, ProcessGroup };
extern const napi_type_tag kTensorTag;
extern const napi_type_tag kGeneratorTag;
extern const napi_type_tag kProcessGroupTag;
HandleKind KindOf(const Napi::Value& v);
const char* KindName(HandleKind k);

// Wraps a heap object as an External tagged `tag`; finalize deletes it when JS collects the handle.
template <typename Obj>
Napi::Value WrapTagged(Napi::Env env, Obj* obj, const napi_type_tag& tag, void (*finalize)(Napi::Env, Obj*)) {
  auto ext = Napi::External<Obj>::New(env, obj, finalize);
  ext.TypeTag(&tag);
  return ext;
}
// The object behind a handle of kind `want`, or a JsError saying what `what` is instead.
void* UnwrapKind(const Napi::Value& v, HandleKind want, const std::string& what);

Napi::Value WrapTensor(Napi::Env env, at::Tensor t);
at::Tensor& UnwrapTensor(const Napi::Value& v, const std::string& what);
bool IsTensor(const Napi::Value& v);
std::string DescribeTensor(const at::Tensor& t);

Napi::Value WrapGenerator(Napi::Env env, at::Generator g);
at::Generator& UnwrapGenerator(const Napi::Value& v, const std::string& what);

at::ScalarType DTypeFromCode(int64_t code);
int CodeFromDType(at::ScalarType t);
at::Device DeviceFromString(const std::string& s);

// Argument accessors: throw JsError naming the argument on a wrong type.
at::Tensor& T(const Napi::CallbackInfo& info, size_t i);
c10::optional<at::Tensor> OptT(const Napi::CallbackInfo& info, size_t i);
// Integers must be finite JS integers within int64 (NaN, ±Infinity and 1.5 are refused, not truncated).
int64_t I(const Napi::CallbackInfo& info, size_t i);
// An integer in [lo, hi], named `what` in the error.
int64_t IRange(const Napi::CallbackInfo& info, size_t i, int64_t lo, int64_t hi, const char* what);
double D(const Napi::CallbackInfo& info, size_t i);
bool B(const Napi::CallbackInfo& info, size_t i);
std::string S(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> Ints(const Napi::CallbackInfo& info, size_t i);
// A tensor shape: non-negative sizes whose element count fits in int64.
std::vector<int64_t> Shape(const Napi::CallbackInfo& info, size_t i);
// Element count of a shape, or a JsError when a size is negative or the product overflows int64.
int64_t CheckedNumel(const std::vector<int64_t>& shape, const std::string& what);
std::vector<at::Tensor> Tensors(const Napi::CallbackInfo& info, size_t i);
at::Scalar Sc(const Napi::CallbackInfo& info, size_t i);
Napi::Value WrapList(Napi::Env env, const std::vector<at::Tensor>& ts);

// A one-line description of every argument: tensors as "[2,3] float32", generators, numbers, strings,
// arrays (first 8 elements). Safe on any JS value.
std::string DescribeArgs(const Napi::CallbackInfo& info);
std::string DescribeValue(const Napi::Value& v, int depth = 0);
// The first line of a C++ exception's message (c10::Error without its backtrace).
std::string ExceptionMessage(const std::exception& e);

// Runs body, converting every libtorch/C++ exception into a JS Error that names the op and
// describes its arguments (tensors by shape, dtype and device).
Napi::Value Guard(const Napi::CallbackInfo& info, const char* op, const std::function<Napi::Value()>& body);

}  // namespace mx

// Declares a binding `js_name` (exported to JS as `name`) whose body may use `info` and `env` and must return a Napi::Value.
#define MX_OP(name)                                                             \
  static Napi::Value name##_body(const Napi::CallbackInfo& info, Napi::Env env); \
  static Napi::Value js_##name(const Napi::CallbackInfo& info) {                \
    return mx::Guard(info, #name, [&]() { return name##_body(info, info.Env()); }); \
  }                                                                             \
  static Napi::Value name##_body(const Napi::CallbackInfo& info, Napi::Env env)
