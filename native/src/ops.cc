// Tensor operations: each binding is one libtorch call (or a short composite of them), wrapped by
// MX_OP so that every exception reaches JS as an Error naming the op and its input shapes.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>  // at::NoGradGuard (not via ATen.h in libtorch 2.x)
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GradMode.h>     // c10::GradMode

#include "handle.h"
#include "ops.h"

using mx::B;
using mx::D;
using mx::I;
using mx::Ints;
using mx::IsTensor;
using mx::OptT;
using mx::S;
using mx::Shape;
using mx::Sc;
using mx::T;
using mx::Tensors;
using mx::WrapList;
using mx::WrapTensor;

namespace {

at::TensorOptions Opts(const Napi::CallbackInfo& info, size_t dtypeArg, size_t deviceArg) {
  return at::TensorOptions().dtype(mx::DTypeFromCode(I(info, dtypeArg)))
      .device(mx::DeviceFromString(S(info, deviceArg)));
}

// Second operand of a binary op: a tensor, or a JS number/boolean that takes part in type promotion
// as a Python scalar does in torch (a "wrapped number"): it never widens the tensor's dtype within
// its category; integral numbers count as integers (int64 + 1 stays int64), fractional ones as
// floats (int64 + 0.5 gives the default float32).
at::Tensor Other(const Napi::CallbackInfo& info, size_t i, const at::Tensor& like) {
  if (IsTensor(info[i])) return T(info, i);
  at::Scalar s = Sc(info, i);
  if (s.isFloatingPoint()) {
    double v = s.toDouble();
    if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0) {
      s = at::Scalar(static_cast<int64_t>(v));
    }
  }
  at::Tensor t = at::scalar_tensor(s, at::TensorOptions().dtype(s.type()).device(like.device()));
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}

c10::optional<at::IntArrayRef> OptDims(const Napi::CallbackInfo& info, size_t i, std::vector<int64_t>& store) {
  if (info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  store = Ints(info, i);
  return at::IntArrayRef(store);
}

at::Generator& Gen(const Napi::CallbackInfo& info, size_t i) {
  return mx::UnwrapGenerator(info[i], "argument " + std::to_string(i));
}

c10::optional<at::Generator> OptGen(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return c10::nullopt;
  return Gen(info, i);
}

size_t ElementSize(at::ScalarType t) { return c10::elementSize(t); }

}  // namespace

// ---------------------------------------------------------------- creation and data transfer

MX_OP(fromData) {
  // (typedArray, shape, dtypeCode, device): copies the bytes of the typed array.
  if (!info[0].IsTypedArray()) throw mx::JsError("argument 0 must be a typed array");
  auto arr = info[0].As<Napi::TypedArray>();
  auto shape = Ints(info, 1);
  auto dtype = mx::DTypeFromCode(I(info, 2));
  int64_t numel = mx::CheckedNumel(shape, "argument 1 (shape)");
  size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<size_t>(numel), ElementSize(dtype), &bytes) || arr.ByteLength() != bytes) {
    throw mx::JsError("data has " + std::to_string(arr.ByteLength()) + " bytes but shape needs " + std::to_string(bytes));
  }
  auto buf = arr.ArrayBuffer();
  uint8_t* src = static_cast<uint8_t*>(buf.Data()) + arr.ByteOffset();
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (bytes) std::memcpy(t.data_ptr(), src, bytes);
  auto device = mx::DeviceFromString(S(info, 3));
  return WrapTensor(env, device.is_cpu() ? t : t.to(device));
}

MX_OP(toData) {
  // Copies a tensor's elements (row-major) into a new ArrayBuffer.
  at::Tensor t = T(info, 0).detach().to(at::kCPU).contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  auto buf = Napi::ArrayBuffer::New(env, bytes);
  if (bytes) std::memcpy(buf.Data(), t.data_ptr(), bytes);
  return buf;
}

MX_OP(dataView) {
  // Zero-copy: an external ArrayBuffer over the (contiguous, CPU) storage, keeping it alive.
  at::Tensor t = T(info, 0).detach().to(at::kCPU).contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  if (bytes == 0) return Napi::ArrayBuffer::New(env, 0);
  auto* keep = new at::Tensor(t);
  return Napi::ArrayBuffer::New(env, keep->data_ptr(), bytes, [](Napi::Env, void*, at::Tensor* k) { delete k; }, keep);
}

MX_OP(full) { return WrapTensor(env, at::full(Shape(info, 0), Sc(info, 1), Opts(info, 2, 3))); }
MX_OP(arange) { return WrapTensor(env, at::arange(Sc(info, 0), Sc(info, 1), Sc(info, 2), Opts(info, 3, 4))); }
MX_OP(randn) { return WrapTensor(env, at::randn(Shape(info, 0), OptGen(info, 1), Opts(info, 2, 3))); }
MX_OP(rand) { return WrapTensor(env, at::rand(Shape(info, 0), OptGen(info, 1), Opts(info, 2, 3))); }
MX_OP(randint) {
  return WrapTensor(env, at::randint(I(info, 0), I(info, 1), Shape(info, 2), OptGen(info, 3), Opts(info, 4, 5)));
}
MX_OP(randperm) { return WrapTensor(env, at::randperm(I(info, 0), OptGen(info, 1), Opts(info, 2, 3))); }
MX_OP(normal_) {
  at::NoGradGuard g;
  T(info, 0).normal_(D(info, 1), D(info, 2), OptGen(info, 3));
  return env.Undefined();
}
MX_OP(uniform_) {
  at::NoGradGuard g;
  T(info, 0).uniform_(D(info, 1), D(info, 2), OptGen(info, 3));
  return env.Undefined();
}

// ---------------------------------------------------------------- generators

MX_OP(makeGenerator) {
  // (seed, device): a private generator, cloned from the device's default so any backend works.
  auto device = mx::DeviceFromString(S(info, 1));
  at::Generator g = device.is_cpu() ? at::detail::getDefaultCPUGenerator().clone()
                                    : at::globalContext().defaultGenerator(device).clone();
  g.set_current_seed(static_cast<uint64_t>(I(info, 0)));
  return mx::WrapGenerator(env, std::move(g));
}
MX_OP(generatorGetState) {
  auto& g = Gen(info, 0);
  std::lock_guard<std::mutex> lock(g.mutex());
  return WrapTensor(env, g.get_state());
}
MX_OP(generatorSetState) {
  auto& g = Gen(info, 0);
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(T(info, 1));
  return env.Undefined();
}
MX_OP(manualSeed) {
  at::manual_seed(static_cast<uint64_t>(I(info, 0)));
  return env.Undefined();
}

// ---------------------------------------------------------------- metadata and autograd

MX_OP(shape) {
  auto& t = T(info, 0);
  auto arr = Napi::Array::New(env, t.dim());
  for (int64_t d = 0; d < t.dim(); d++) arr.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(t.size(d))));
  return arr;
}
MX_OP(dtype) { return Napi::Number::New(env, mx::CodeFromDType(T(info, 0).scalar_type())); }
MX_OP(device) { return Napi::String::New(env, T(info, 0).device().str()); }
MX_OP(item) {
  auto& t = T(info, 0);
  if (t.numel() != 1) throw mx::JsError("item() needs a tensor with one element, got " + mx::DescribeTensor(t));
  if (t.scalar_type() == at::kBool) return Napi::Boolean::New(env, t.item<bool>());
  return Napi::Number::New(env, t.item<double>());
}
MX_OP(dispose) {
  auto* t = static_cast<at::Tensor*>(mx::UnwrapKind(info[0], mx::HandleKind::Tensor, "argument 0"));
  if (t->defined()) {
    mx::g_live_tensors--;
    t->reset();
  }
  return env.Undefined();
}
MX_OP(liveTensors) { return Napi::Number::New(env, static_cast<double>(mx::g_live_tensors.load())); }
MX_OP(requiresGrad) { return Napi::Boolean::New(env, T(info, 0).requires_grad()); }
MX_OP(setRequiresGrad) {
  T(info, 0).set_requires_grad(B(info, 1));
  return env.Undefined();
}
MX_OP(grad) { return WrapTensor(env, T(info, 0).grad()); }
MX_OP(setGrad) {
  auto& t = T(info, 0);
  if (info[1].IsNull() || info[1].IsUndefined()) {
    t.mutable_grad().reset();
    return env.Undefined();
  }
  // The checks torch's Python `.grad` setter makes: a gradient shaped, typed and placed like its tensor
  // (optimizer kernels index both with one element count).
  auto& g = T(info, 1);
  if (!g.sizes().equals(t.sizes()) || g.scalar_type() != t.scalar_type() || g.device() != t.device()) {
    throw mx::JsError("the gradient " + mx::DescribeTensor(g) + " does not match its tensor " + mx::DescribeTensor(t));
  }
  t.mutable_grad() = g;
  return env.Undefined();
}
MX_OP(backward) {
  auto& t = T(info, 0);
  auto g = OptT(info, 1);
  t.backward(g.has_value() ? *g : at::Tensor(), B(info, 2), false);
  return env.Undefined();
}
MX_OP(isGradEnabled) { return Napi::Boolean::New(env, c10::GradMode::is_enabled()); }
MX_OP(setGradEnabled) {
  c10::GradMode::set_enabled(B(info, 0));
  return env.Undefined();
}
MX_OP(detach) { return WrapTensor(env, T(info, 0).detach()); }
MX_OP(clone) { return WrapTensor(env, T(info, 0).clone()); }
MX_OP(contiguous) { return WrapTensor(env, T(info, 0).contiguous()); }
MX_OP(to) {
  // (t, dtypeCode|null, device|null)
  auto& t = T(info, 0);
  at::ScalarType dtype = info[1].IsNull() ? t.scalar_type() : mx::DTypeFromCode(I(info, 1));
  at::Device device = info[2].IsNull() ? t.device() : mx::DeviceFromString(S(info, 2));
  return WrapTensor(env, t.to(device, dtype));
}
MX_OP(equal) { return Napi::Boolean::New(env, at::equal(T(info, 0), T(info, 1))); }

// ---------------------------------------------------------------- elementwise

#define MX_BINARY(name, expr)                                   \
  MX_OP(name) {                                                 \
    auto& a = T(info, 0);                                       \
    at::Tensor b = Other(info, 1, a);                           \
    return WrapTensor(env, expr);                               \
  }
MX_BINARY(add, at::add(a, b))
MX_BINARY(sub, at::sub(a, b))
MX_BINARY(mul, at::mul(a, b))
MX_BINARY(div, at::div(a, b))
MX_BINARY(pow, at::pow(a, b))
MX_BINARY(remainder, at::remainder(a, b))
MX_BINARY(minimum, at::minimum(a, b))
MX_BINARY(maximum, at::maximum(a, b))
MX_BINARY(eq, at::eq(a, b))
MX_BINARY(ne, at::ne(a, b))
MX_BINARY(lt, at::lt(a, b))
MX_BINARY(le, at::le(a, b))
MX_BINARY(gt, at::gt(a, b))
MX_BINARY(ge, at::ge(a, b))
MX_BINARY(logicalAnd, at::logical_and(a, b))
MX_BINARY(logicalOr, at::logical_or(a, b))
MX_OP(rsub) { return WrapTensor(env, at::rsub(T(info, 0), Sc(info, 1))); }

#define MX_UNARY(name, expr)        \
  MX_OP(name) {                     \
    auto& a = T(info, 0);           \
    return WrapTensor(env, expr);   \
  }
MX_UNARY(neg, at::neg(a))
MX_UNARY(exp, at::exp(a))
MX_UNARY(log, at::log(a))
MX_UNARY(log1p, at::log1p(a))
MX_UNARY(expm1, at::expm1(a))
MX_UNARY(tanh, at::tanh(a))
MX_UNARY(sigmoid, at::sigmoid(a))
MX_UNARY(logSigmoid, at::log_sigmoid(a))
MX_UNARY(relu, at::relu(a))
MX_UNARY(sqrt, at::sqrt(a))
MX_UNARY(rsqrt, at::rsqrt(a))
MX_UNARY(abs, at::abs(a))
MX_UNARY(sign, at::sign(a))
MX_UNARY(square, at::square(a))
MX_UNARY(reciprocal, at::reciprocal(a))
MX_UNARY(sin, at::sin(a))
MX_UNARY(cos, at::cos(a))
MX_UNARY(floor, at::floor(a))
MX_UNARY(erf, at::erf(a))
MX_UNARY(logicalNot, at::logical_not(a))
MX_UNARY(isnan, at::isnan(a))
MX_UNARY(isfinite, at::isfinite(a))
MX_OP(gelu) { return WrapTensor(env, at::gelu(T(info, 0), S(info, 1))); }
MX_OP(softplus) { return WrapTensor(env, at::softplus(T(info, 0), Sc(info, 1), Sc(info, 2))); }
MX_OP(clamp) {
  auto& a = T(info, 0);
  c10::optional<at::Scalar> lo, hi;
  if (!info[1].IsNull()) lo = Sc(info, 1);
  if (!info[2].IsNull()) hi = Sc(info, 2);
  return WrapTensor(env, at::clamp(a, lo, hi));
}
MX_OP(where) {
  auto& cond = T(info, 0);
  at::Tensor a = IsTensor(info[1]) ? T(info, 1) : at::Tensor();
  at::Tensor b = IsTensor(info[2]) ? T(info, 2) : at::Tensor();
  const at::Tensor& like = a.defined() ? a : (b.defined() ? b : cond);
  if (!a.defined()) a = Other(info, 1, like);
  if (!b.defined()) b = Other(info, 2, like);
  return WrapTensor(env, at::where(cond, a, b));
}
MX_OP(maskedFill) { return WrapTensor(env, at::masked_fill(T(info, 0), T(info, 1), Sc(info, 2))); }

// ---------------------------------------------------------------- reductions

MX_OP(sum) {
  std::vector<int64_t> dims;
  auto d = OptDims(info, 1, dims);
  return WrapTensor(env, d ? at::sum(T(info, 0), *d, B(info, 2)) : at::sum(T(info, 0)));
}
MX_OP(mean) {
  std::vector<int64_t> dims;
  auto d = OptDims(info, 1, dims);
  return WrapTensor(env, d ? at::mean(T(info, 0), *d, B(info, 2)) : at::mean(T(info, 0)));
}
MX_OP(amax) { return WrapTensor(env, at::amax(T(info, 0), Ints(info, 1), B(info, 2))); }
MX_OP(amin) { return WrapTensor(env, at::amin(T(info, 0), Ints(info, 1), B(info, 2))); }
MX_OP(maxDim) {
  auto r = at::max(T(info, 0), I(info, 1), B(info, 2));
  return WrapList(env, {std::get<0>(r), std::get<1>(r)});
}
MX_OP(minDim) {
  auto r = at::min(T(info, 0), I(info, 1), B(info, 2));
  return WrapList(env, {std::get<0>(r), std::get<1>(r)});
}
MX_OP(maxAll) { return WrapTensor(env, at::max(T(info, 0))); }
MX_OP(minAll) { return WrapTensor(env, at::min(T(info, 0))); }
MX_OP(argmax) { return WrapTensor(env, at::argmax(T(info, 0), I(info, 1), B(info, 2))); }
MX_OP(logsumexp) { return WrapTensor(env, at::logsumexp(T(info, 0), Ints(info, 1), B(info, 2))); }
MX_OP(cumsum) { return WrapTensor(env, at::cumsum(T(info, 0), I(info, 1))); }
MX_OP(variance) {
  std::vector<int64_t> dims;
  auto d = OptDims(info, 1, dims);
  return WrapTensor(env, at::var(T(info, 0), d, B(info, 2), B(info, 3)));
}
MX_OP(norm) {
  std::vector<int64_t> dims;
  auto d = OptDims(info, 2, dims);
  return WrapTensor(env, d ? at::norm(T(info, 0), Sc(info, 1), *d, B(info, 3)) : at::norm(T(info, 0), Sc(info, 1)));
}
MX_OP(all) { return WrapTensor(env, at::all(T(info, 0))); }
MX_OP(any) { return WrapTensor(env, at::any(T(info, 0))); }

// ---------------------------------------------------------------- neural-network primitives

MX_OP(softmax) { return WrapTensor(env, at::softmax(T(info, 0), I(info, 1))); }
MX_OP(logSoftmax) { return WrapTensor(env, at::log_softmax(T(info, 0), I(info, 1))); }
MX_OP(layerNorm) {
  return WrapTensor(env, at::layer_norm(T(info, 0), Ints(info, 1), OptT(info, 2), OptT(info, 3), D(info, 4)));
}
MX_OP(matmul) { return WrapTensor(env, at::matmul(T(info, 0), T(info, 1))); }
MX_OP(bmm) { return WrapTensor(env, at::bmm(T(info, 0), T(info, 1))); }
MX_OP(linear) { return WrapTensor(env, at::linear(T(info, 0), T(info, 1), OptT(info, 2))); }
MX_OP(embedding) { return WrapTensor(env, at::embedding(T(info, 0), T(info, 1))); }
MX_OP(crossEntropy) {
  // (logits [N, C], target [N] int64, ignoreIndex, reduction: 0 none, 1 mean, 2 sum)
  int64_t reduction = mx::IRange(info, 3, 0, 2, "reduction: 0 none, 1 mean, 2 sum");
  return WrapTensor(env, at::cross_entropy_loss(T(info, 0), T(info, 1), {}, reduction, I(info, 2), 0.0));
}
MX_OP(dropout) {
  // (t, p, gen|null): inverted dropout with a private generator for reproducibility.
  auto& t = T(info, 0);
  double p = D(info, 1);
  if (!(p >= 0 && p <= 1)) throw mx::JsError("dropout probability must lie in [0, 1], got " + std::to_string(p));
  if (p == 0) return WrapTensor(env, t);
  if (p == 1) return WrapTensor(env, t * at::zeros({}, t.options()));  // t·0/0 would be NaN
  at::Tensor keep = at::empty_like(t).bernoulli_(1 - p, OptGen(info, 2));
  return WrapTensor(env, t * keep / (1 - p));
}
MX_OP(attention) {
  // (q, k, v [B, H, T, D], mask [.., Tq, Tk] bool (true = attend) | null, isCausal): softmax(qkᵀ/√d) v.
  auto& q = T(info, 0);
  auto& k = T(info, 1);
  auto& v = T(info, 2);
  auto mask = OptT(info, 3);
  bool causal = B(info, 4);
  double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul_(scale);
  // The blocked key positions as one small bool tensor (no heads dim when the mask has none), so the
  // [.., Tq, Tk] scores take a single masked_fill_ (and its backward a single pass).
  at::Tensor blocked;
  if (causal) {
    int64_t tq = q.size(-2), tk = k.size(-2);
    blocked = at::ones({tq, tk}, at::TensorOptions().dtype(at::kBool).device(q.device())).triu(tk - tq + 1);
  }
  if (mask) blocked = blocked.defined() ? at::logical_or(blocked, mask->logical_not()) : mask->logical_not();
  if (blocked.defined()) scores.masked_fill_(blocked, -std::numeric_limits<float>::infinity());
  // Reduced-precision inputs take the softmax in float32; float32/float64 keep their own precision.
  at::ScalarType softmaxType = (q.scalar_type() == at::kBFloat16 || q.scalar_type() == at::kHalf) ? at::kFloat : q.scalar_type();
  at::Tensor probs = at::softmax(scores, -1, softmaxType).to(q.scalar_type());
  // Rows with no visible key (fully padded) are NaN after softmax: give them zero weights. On the CPU
  // the small mask says whether there are any (usually none: causal rows see themselves), which
  // saves a pass over the probabilities forward and backward; elsewhere always (no device sync).
  bool anyEmptyRow = !blocked.defined() ? false
                     : !q.device().is_cpu() ? true
                     : blocked.all(-1).any().item<bool>();
  if (anyEmptyRow) probs = at::nan_to_num(probs, 0.0);
  return WrapTensor(env, at::matmul(probs, v));
}
MX_OP(gather) { return WrapTensor(env, at::gather(T(info, 0), I(info, 1), T(info, 2))); }
MX_OP(indexSelect) { return WrapTensor(env, at::index_select(T(info, 0), I(info, 1), T(info, 2))); }
MX_OP(scatter) { return WrapTensor(env, at::scatter(T(info, 0), I(info, 1), T(info, 2), T(info, 3))); }
MX_OP(scatterAdd) { return WrapTensor(env, at::scatter_add(T(info, 0), I(info, 1), T(info, 2), T(info, 3))); }
MX_OP(multinomial) { return WrapTensor(env, at::multinomial(T(info, 0), I(info, 1), B(info, 2), OptGen(info, 3))); }
MX_OP(topk) {
  auto r = at::topk(T(info, 0), I(info, 1), I(info, 2), B(info, 3), B(info, 4));
  return WrapList(env, {std::get<0>(r), std::get<1>(r)});
}
MX_OP(sort) {
  auto r = at::sort(T(info, 0), I(info, 1), B(info, 2));
  return WrapList(env, {std::get<0>(r), std::get<1>(r)});
}

// ---------------------------------------------------------------- shape

MX_OP(cat) { return WrapTensor(env, at::cat(Tensors(info, 0), I(info, 1))); }
MX_OP(stack) { return WrapTensor(env, at::stack(Tensors(info, 0), I(info, 1))); }
MX_OP(split) { return WrapList(env, at::split(T(info, 0), I(info, 1), I(info, 2))); }
MX_OP(splitSizes) { return WrapList(env, at::split_with_sizes(T(info, 0), Ints(info, 1), I(info, 2))); }
MX_OP(chunk) { return WrapList(env, at::chunk(T(info, 0), I(info, 1), I(info, 2))); }
MX_OP(narrow) { return WrapTensor(env, at::narrow(T(info, 0), I(info, 1), I(info, 2), I(info, 3))); }
MX_OP(slice) { return WrapTensor(env, at::slice(T(info, 0), I(info, 1), I(info, 2), I(info, 3), I(info, 4))); }
MX_OP(select) { return WrapTensor(env, at::select(T(info, 0), I(info, 1), I(info, 2))); }
MX_OP(view) { return WrapTensor(env, T(info, 0).view(Ints(info, 1))); }
MX_OP(reshape) { return WrapTensor(env, at::reshape(T(info, 0), Ints(info, 1))); }
MX_OP(permute) { return WrapTensor(env, at::permute(T(info, 0), Ints(info, 1))); }
MX_OP(transpose) { return WrapTensor(env, at::transpose(T(info, 0), I(info, 1), I(info, 2))); }
MX_OP(expand) { return WrapTensor(env, T(info, 0).expand(Ints(info, 1))); }
MX_OP(unsqueeze) { return WrapTensor(env, at::unsqueeze(T(info, 0), I(info, 1))); }
MX_OP(squeeze) { return WrapTensor(env, info[1].IsNull() ? at::squeeze(T(info, 0)) : at::squeeze(T(info, 0), I(info, 1))); }
MX_OP(flatten) { return WrapTensor(env, at::flatten(T(info, 0), I(info, 1), I(info, 2))); }
MX_OP(repeat) { return WrapTensor(env, T(info, 0).repeat(Ints(info, 1))); }
MX_OP(repeatInterleave) { return WrapTensor(env, at::repeat_interleave(T(info, 0), I(info, 1), I(info, 2))); }
MX_OP(flip) { return WrapTensor(env, at::flip(T(info, 0), Ints(info, 1))); }
MX_OP(triu) { return WrapTensor(env, at::triu(T(info, 0), I(info, 1))); }
MX_OP(tril) { return WrapTensor(env, at::tril(T(info, 0), I(info, 1))); }

// ---------------------------------------------------------------- in-place (no autograd: optimizers, loading)

MX_OP(copy_) {
  at::NoGradGuard g;
  T(info, 0).copy_(T(info, 1));
  return env.Undefined();
}
MX_OP(fill_) {
  at::NoGradGuard g;
  T(info, 0).fill_(Sc(info, 1));
  return env.Undefined();
}
MX_OP(mul_) {
  at::NoGradGuard g;
  T(info, 0).mul_(Sc(info, 1));
  return env.Undefined();
}
MX_OP(add_) {
  // (t, other, alpha): t += alpha * other
  at::NoGradGuard g;
  T(info, 0).add_(T(info, 1), Sc(info, 2));
  return env.Undefined();
}

// ---------------------------------------------------------------- registry

void mx::RegisterOps(Napi::Env env, Napi::Object exports) {
#define REG(name) exports.Set(#name, Napi::Function::New(env, js_##name, #name))
  REG(fromData); REG(toData); REG(dataView); REG(full); REG(arange); REG(randn); REG(rand); REG(randint);
  REG(randperm); REG(normal_); REG(uniform_); REG(makeGenerator); REG(generatorGetState); REG(generatorSetState);
  REG(manualSeed); REG(shape); REG(dtype); REG(device); REG(item); REG(dispose); REG(liveTensors);
  REG(requiresGrad); REG(setRequiresGrad); REG(grad); REG(setGrad); REG(backward); REG(isGradEnabled);
  REG(setGradEnabled); REG(detach); REG(clone); REG(contiguous); REG(to); REG(equal);
  REG(add); REG(sub); REG(mul); REG(div); REG(pow); REG(remainder); REG(minimum); REG(maximum); REG(eq); REG(ne);
  REG(lt); REG(le); REG(gt); REG(ge); REG(logicalAnd); REG(logicalOr); REG(rsub);
  REG(neg); REG(exp); REG(log); REG(log1p); REG(expm1); REG(tanh); REG(sigmoid); REG(logSigmoid); REG(relu);
  REG(sqrt); REG(rsqrt); REG(abs); REG(sign); REG(square); REG(reciprocal); REG(sin); REG(cos); REG(floor);
  REG(erf); REG(logicalNot); REG(isnan); REG(isfinite); REG(gelu); REG(softplus); REG(clamp); REG(where);
  REG(maskedFill); REG(sum); REG(mean); REG(amax); REG(amin); REG(maxDim); REG(minDim); REG(maxAll); REG(minAll);
  REG(argmax); REG(logsumexp); REG(cumsum); REG(variance); REG(norm); REG(all); REG(any);
  REG(softmax); REG(logSoftmax); REG(layerNorm); REG(matmul); REG(bmm); REG(linear); REG(embedding);
  REG(crossEntropy); REG(dropout); REG(attention); REG(gather); REG(indexSelect); REG(scatter); REG(scatterAdd);
  REG(multinomial); REG(topk); REG(sort);
  REG(cat); REG(stack); REG(split); REG(splitSizes); REG(chunk); REG(narrow); REG(slice); REG(select); REG(view);
  REG(reshape); REG(permute); REG(transpose); REG(expand); REG(unsqueeze); REG(squeeze); REG(flatten);
  REG(repeat); REG(repeatInterleave); REG(flip); REG(triu); REG(tril);
  REG(copy_); REG(fill_); REG(mul_); REG(add_);
#undef REG
}
