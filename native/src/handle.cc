#include "handle.h"

#include <cmath>
#include <iomanip>

namespace mx {

std::atomic<int64_t> g_live_tensors{0};

// Random 128-bit tags, one per kind (napi_type_tag): only this addon stamps them.
const napi_type_tag kTensorTag = {0x6d78b1c0e5a14f3aULL, 0x9d2f7e6c11a04b52ULL};
const napi_type_tag kGeneratorTag = {0x6d78b1c0e5a14f3aULL, 0x3c51d8a2f0974e16ULL};
const napi_type_tag kProcessGroupTag = {0x6d78b1c0e5a14f3aULL, 0xa7e40b9d52c8413fULL};

HandleKind KindOf(const Napi::Value& v) {
  if (!v.IsExternal()) return HandleKind::None;
  auto ext = v.As<Napi::External<void>>();
  if (ext.CheckTypeTag(&kTensorTag)) return HandleKind::Tensor;
  if (ext.CheckTypeTag(&kGeneratorTag)) return HandleKind::Generator;
  if (ext.CheckTypeTag(&kProcessGroupTag)) return HandleKind::ProcessGroup;
  return HandleKind::None;
}

const char* KindName(HandleKind k) {
  switch (k) {
    case HandleKind::Tensor: return "a tensor handle";
    case HandleKind::Generator: return "a generator handle";
    case HandleKind::ProcessGroup: return "a process-group handle";
    default: return "not a handle of this addon";
  }
}

static std::string JsTypeName(const Napi::Value& v) {
  switch (KindOf(v)) {
    case HandleKind::None: break;
    default: return KindName(KindOf(v));
  }
  if (v.IsExternal()) return "a foreign external";
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsArray()) return "an array";
  if (v.IsTypedArray()) return "a typed array";
  if (v.IsFunction()) return "a function";
  if (v.IsObject()) return "an object";
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsNumber()) return "a number";
  return "a " + std::string(v.IsBigInt() ? "bigint" : "symbol");
}

void* UnwrapKind(const Napi::Value& v, HandleKind want, const std::string& what) {
  HandleKind got = KindOf(v);
  if (got != want) {
    // "argument 1 is not a tensor handle (got a generator handle)"
    std::string wanted = KindName(want);
    throw JsError(what + " is not " + wanted + " (got " + JsTypeName(v) + ")");
  }
  return v.As<Napi::External<void>>().Data();
}

static void FinalizeTensor(Napi::Env, at::Tensor* t) {
  if (t->defined()) g_live_tensors--;
  delete t;
}

Napi::Value WrapTensor(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  g_live_tensors++;
  return WrapTagged(env, new at::Tensor(std::move(t)), kTensorTag, FinalizeTensor);
}

bool IsTensor(const Napi::Value& v) { return KindOf(v) == HandleKind::Tensor; }

at::Tensor& UnwrapTensor(const Napi::Value& v, const std::string& what) {
  auto* t = static_cast<at::Tensor*>(UnwrapKind(v, HandleKind::Tensor, what));
  if (!t->defined()) throw JsError(what + " was disposed (use after dispose)");
  return *t;
}

static void FinalizeGenerator(Napi::Env, at::Generator* g) { delete g; }

Napi::Value WrapGenerator(Napi::Env env, at::Generator g) {
  return WrapTagged(env, new at::Generator(std::move(g)), kGeneratorTag, FinalizeGenerator);
}

at::Generator& UnwrapGenerator(const Napi::Value& v, const std::string& what) {
  return *static_cast<at::Generator*>(UnwrapKind(v, HandleKind::Generator, what));
}

static const char* DTypeName(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kBFloat16: return "bfloat16";
    case at::kHalf: return "float16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kBool: return "bool";
    case at::kByte: return "uint8";
    default: return c10::toString(s);
  }
}

std::string DescribeTensor(const at::Tensor& t) {
  if (!t.defined()) return "<disposed>";
  std::ostringstream os;
  os << "[";
  for (int64_t d = 0; d < t.dim(); d++) os << (d ? "," : "") << t.size(d);
  os << "] " << DTypeName(t.scalar_type());
  if (!t.device().is_cpu()) os << " " << t.device().str();
  return os.str();
}

// Codes shared with src/native/dtype.ts.
at::ScalarType DTypeFromCode(int64_t code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kDouble;
    case 2: return at::kBFloat16;
    case 3: return at::kLong;
    case 4: return at::kBool;
    case 5: return at::kHalf;
    case 6: return at::kInt;
    case 7: return at::kByte;
    default: throw JsError("unknown dtype code " + std::to_string(code));
  }
}

int CodeFromDType(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return 0;
    case at::kDouble: return 1;
    case at::kBFloat16: return 2;
    case at::kLong: return 3;
    case at::kBool: return 4;
    case at::kHalf: return 5;
    case at::kInt: return 6;
    case at::kByte: return 7;
    default: throw JsError(std::string("unsupported dtype ") + c10::toString(t));
  }
}

at::Device DeviceFromString(const std::string& s) { return at::Device(s); }

static std::string ArgName(size_t i) { return "argument " + std::to_string(i); }

at::Tensor& T(const Napi::CallbackInfo& info, size_t i) { return UnwrapTensor(info[i], ArgName(i)); }

c10::optional<at::Tensor> OptT(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return T(info, i);
}

// 2^63 as a double: the first value above int64's range (int64 max itself is not a double).
static constexpr double kTwo63 = 9223372036854775808.0;

static int64_t ToInt64(const Napi::Value& v, const std::string& what) {
  if (!v.IsNumber()) throw JsError(what + " must be an integer (got " + JsTypeName(v) + ")");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::trunc(d) || d < -kTwo63 || d >= kTwo63) {
    throw JsError(what + " must be an integer within int64 (got " + DescribeValue(v) + ")");
  }
  return static_cast<int64_t>(d);
}

int64_t I(const Napi::CallbackInfo& info, size_t i) { return ToInt64(info[i], ArgName(i)); }

int64_t IRange(const Napi::CallbackInfo& info, size_t i, int64_t lo, int64_t hi, const char* what) {
  int64_t v = I(info, i);
  if (v < lo || v > hi) {
    throw JsError(ArgName(i) + " (" + what + ") must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                  "], got " + std::to_string(v));
  }
  return v;
}

double D(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw JsError(ArgName(i) + " must be a number (got " + JsTypeName(info[i]) + ")");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool B(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsBoolean()) throw JsError(ArgName(i) + " must be a boolean (got " + JsTypeName(info[i]) + ")");
  return info[i].As<Napi::Boolean>().Value();
}

std::string S(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw JsError(ArgName(i) + " must be a string (got " + JsTypeName(info[i]) + ")");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Ints(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw JsError(ArgName(i) + " must be an array of integers (got " + JsTypeName(info[i]) + ")");
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) out[k] = ToInt64(arr[k], ArgName(i) + "[" + std::to_string(k) + "]");
  return out;
}

int64_t CheckedNumel(const std::vector<int64_t>& shape, const std::string& what) {
  int64_t numel = 1;
  bool overflow = false;
  for (int64_t s : shape) {
    if (s < 0) throw JsError(what + " has a negative dimension " + std::to_string(s));
    overflow = overflow || __builtin_mul_overflow(numel, s, &numel);
  }
  // An empty dimension makes the count 0 whatever the others are; otherwise the product must fit.
  for (int64_t s : shape) if (s == 0) return 0;
  if (overflow) throw JsError(what + " has more elements than int64 can count");
  return numel;
}

std::vector<int64_t> Shape(const Napi::CallbackInfo& info, size_t i) {
  auto shape = Ints(info, i);
  CheckedNumel(shape, ArgName(i) + " (shape)");
  return shape;
}

std::vector<at::Tensor> Tensors(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw JsError(ArgName(i) + " must be an array of tensors (got " + JsTypeName(info[i]) + ")");
  auto arr = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    out.push_back(UnwrapTensor(arr[k], ArgName(i) + "[" + std::to_string(k) + "]"));
  }
  return out;
}

at::Scalar Sc(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsBoolean()) return at::Scalar(info[i].As<Napi::Boolean>().Value());
  return at::Scalar(D(info, i));
}

Napi::Value WrapList(Napi::Env env, const std::vector<at::Tensor>& ts) {
  auto arr = Napi::Array::New(env, ts.size());
  for (size_t k = 0; k < ts.size(); k++) arr.Set(static_cast<uint32_t>(k), WrapTensor(env, ts[k]));
  return arr;
}

static std::string FormatNumber(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  std::ostringstream os;
  if (d == std::trunc(d) && std::fabs(d) < 1e16) os << static_cast<int64_t>(d);
  else os << std::setprecision(6) << d;
  return os.str();
}

std::string DescribeValue(const Napi::Value& v, int depth) {
  switch (KindOf(v)) {
    case HandleKind::Tensor: return DescribeTensor(*static_cast<at::Tensor*>(v.As<Napi::External<void>>().Data()));
    case HandleKind::Generator: {
      const auto& g = *static_cast<at::Generator*>(v.As<Napi::External<void>>().Data());
      return "generator(" + g.device().str() + ")";
    }
    case HandleKind::ProcessGroup: return "process group";
    case HandleKind::None: break;
  }
  if (v.IsExternal()) return "foreign external";
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsNumber()) return FormatNumber(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    return "\"" + (s.size() > 40 ? s.substr(0, 40) + "..." : s) + "\"";
  }
  if (v.IsTypedArray()) return "typed array of " + std::to_string(v.As<Napi::TypedArray>().ByteLength()) + " bytes";
  if (v.IsArray()) {
    if (depth > 0) return "[...]";
    auto arr = v.As<Napi::Array>();
    // Numbers (shapes, dims) as [2, -1]; tensors as [[2,3] float32, [4] int64].
    std::ostringstream os;
    os << "[";
    for (uint32_t k = 0; k < arr.Length() && k < 8; k++) os << (k ? ", " : "") << DescribeValue(arr[k], depth + 1);
    os << (arr.Length() > 8 ? ", ...]" : "]");
    return os.str();
  }
  if (v.IsFunction()) return "function";
  if (v.IsObject()) return "object";
  return v.IsBigInt() ? "bigint" : "symbol";
}

std::string DescribeArgs(const Napi::CallbackInfo& info) {
  std::ostringstream os;
  for (size_t i = 0; i < info.Length(); i++) os << (i ? ", " : "") << "#" << i << "=" << DescribeValue(info[i]);
  return info.Length() ? " (inputs: " + os.str() + ")" : "";
}

static std::string FirstLine(const std::string& s) {
  auto pos = s.find('\n');
  return pos == std::string::npos ? s : s.substr(0, pos);
}

std::string ExceptionMessage(const std::exception& e) {
  if (auto* c10e = dynamic_cast<const c10::Error*>(&e)) return FirstLine(c10e->what_without_backtrace());
  std::string what = e.what();
  if (dynamic_cast<const std::bad_alloc*>(&e)) what = "out of memory (" + what + ")";
  return FirstLine(what);
}

Napi::Value Guard(const Napi::CallbackInfo& info, const char* op, const std::function<Napi::Value()>& body) {
  Napi::Env env = info.Env();
  std::string msg;
  Napi::Value cause;
  try {
    return body();
  } catch (const Napi::Error& e) {
    // A Node-API call failed inside the body (e.g. an ArrayBuffer too large): keep the JS error as the cause.
    msg = e.Message();
    cause = e.Value();
  } catch (const std::exception& e) {
    msg = ExceptionMessage(e);
  } catch (...) {
    msg = "unknown C++ exception";
  }
  std::string described;
  try {
    described = DescribeArgs(info);
  } catch (...) {
    described = " (inputs could not be described)";  // e.g. a Proxy whose traps throw
  }
  if (env.IsExceptionPending()) env.GetAndClearPendingException();
  Napi::Error err = Napi::Error::New(env, std::string(op) + ": " + msg + described);
  err.Set("op", Napi::String::New(env, op));
  if (!cause.IsEmpty()) err.Set("cause", cause);
  throw err;
}

}  // namespace mx
