#include "handle.h"

namespace mx {

std::atomic<int64_t> g_live_tensors{0};

static void FinalizeTensor(Napi::Env, at::Tensor* t) {
  if (t->defined()) g_live_tensors--;
  delete t;
}

Napi::Value WrapTensor(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  g_live_tensors++;
  return Napi::External<at::Tensor>::New(env, new at::Tensor(std::move(t)), FinalizeTensor);
}

bool IsTensor(const Napi::Value& v) { return v.IsExternal(); }

at::Tensor& UnwrapTensor(const Napi::Value& v, const char* what) {
  if (!v.IsExternal()) throw JsError(std::string(what) + " is not a tensor handle");
  at::Tensor* t = v.As<Napi::External<at::Tensor>>().Data();
  if (!t->defined()) throw JsError(std::string(what) + " was disposed (use after dispose)");
  return *t;
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
at::ScalarType DTypeFromCode(int code) {
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

at::Tensor& T(const Napi::CallbackInfo& info, size_t i) {
  return UnwrapTensor(info[i], ArgName(i).c_str());
}

c10::optional<at::Tensor> OptT(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return T(info, i);
}

int64_t I(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw JsError(ArgName(i) + " must be an integer");
  return info[i].As<Napi::Number>().Int64Value();
}

double D(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw JsError(ArgName(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool B(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsBoolean()) throw JsError(ArgName(i) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::string S(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw JsError(ArgName(i) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Ints(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw JsError(ArgName(i) + " must be an array of integers");
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr[k];
    if (!v.IsNumber()) throw JsError(ArgName(i) + "[" + std::to_string(k) + "] must be an integer");
    out[k] = v.As<Napi::Number>().Int64Value();
  }
  return out;
}

std::vector<at::Tensor> Tensors(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) throw JsError(ArgName(i) + " must be an array of tensors");
  auto arr = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    out.push_back(UnwrapTensor(arr[k], (ArgName(i) + "[" + std::to_string(k) + "]").c_str()));
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

static std::string DescribeArgs(const Napi::CallbackInfo& info) {
  std::ostringstream os;
  bool any = false;
  for (size_t i = 0; i < info.Length(); i++) {
    Napi::Value v = info[i];
    if (v.IsExternal()) {
      os << (any ? ", " : "") << "#" << i << "=" << DescribeTensor(*v.As<Napi::External<at::Tensor>>().Data());
      any = true;
    } else if (v.IsArray()) {
      auto arr = v.As<Napi::Array>();
      if (arr.Length() > 0 && Napi::Value(arr[0u]).IsExternal()) {
        os << (any ? ", " : "") << "#" << i << "=[";
        for (uint32_t k = 0; k < arr.Length() && k < 8; k++) {
          Napi::Value e = arr[k];
          os << (k ? ", " : "") << (e.IsExternal() ? DescribeTensor(*e.As<Napi::External<at::Tensor>>().Data()) : "?");
        }
        os << (arr.Length() > 8 ? ", ...]" : "]");
        any = true;
      }
    }
  }
  return any ? " (inputs: " + os.str() + ")" : "";
}

static std::string FirstLine(const std::string& s) {
  auto pos = s.find('\n');
  return pos == std::string::npos ? s : s.substr(0, pos);
}

Napi::Value Guard(const Napi::CallbackInfo& info, const char* op, const std::function<Napi::Value()>& body) {
  std::string msg;
  try {
    return body();
  } catch (const c10::Error& e) {
    msg = FirstLine(e.what_without_backtrace());
  } catch (const Napi::Error& e) {
    throw;
  } catch (const std::exception& e) {
    msg = FirstLine(e.what());
  }
  Napi::Error err = Napi::Error::New(info.Env(), std::string(op) + ": " + msg + DescribeArgs(info));
  err.Set("op", Napi::String::New(info.Env(), op));
  throw err;
}

}  // namespace mx
