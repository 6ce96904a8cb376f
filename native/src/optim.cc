// Optimizer kernels: one call updates every parameter, so a step costs one Node-API crossing.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>  // at::NoGradGuard (not via ATen.h in libtorch 2.x)

#include <immintrin.h>

#include <cmath>

#include "handle.h"
#include "ops.h"

using mx::D;
using mx::I;
using mx::Tensors;

// One AdamW element update in float, with the arithmetic (and rounding) of the op sequence in
// adamwStep's generic path: mul_, lerp_ (torch's two-sided formula), mul_ + addcmul_, sqrt / bc2 + eps,
// addcdiv_. Scalars are rounded to float as torch's float kernels round them.
struct AdamWScalars {
  float decay, w1, b2, w2, bc2Sqrt, eps, step;
  bool lerpLow;  // |w1| < 0.5: m + w1·(g − m); else g − (g − m)·(1 − w1)
};

static inline void AdamWElement(float& p, float g, float& m, float& v, const AdamWScalars& s) {
  float pd = p * s.decay;
  float diff = g - m;
  m = s.lerpLow ? m + s.w1 * diff : g - diff * (1.0f - s.w1);
  v = v * s.b2 + s.w2 * g * g;
  float denom = std::sqrt(v) / s.bc2Sqrt + s.eps;
  p = pd + s.step * m / denom;
}

// 8 floats at a time with AVX (sqrt and division are correctly rounded, so lanes equal the scalar
// path; no FMA contraction: AVX alone has none). Returns how many leading elements it updated.
__attribute__((target("avx"))) static int64_t AdamWAvx(float* p, const float* g, float* m, float* v, int64_t n,
                                                       const AdamWScalars& s) {
  const __m256 decay = _mm256_set1_ps(s.decay), w1 = _mm256_set1_ps(s.w1), w1c = _mm256_set1_ps(1.0f - s.w1);
  const __m256 b2 = _mm256_set1_ps(s.b2), w2 = _mm256_set1_ps(s.w2), bc2 = _mm256_set1_ps(s.bc2Sqrt);
  const __m256 eps = _mm256_set1_ps(s.eps), step = _mm256_set1_ps(s.step);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 pv = _mm256_loadu_ps(p + i), gv = _mm256_loadu_ps(g + i);
    __m256 mv = _mm256_loadu_ps(m + i), vv = _mm256_loadu_ps(v + i);
    __m256 pd = _mm256_mul_ps(pv, decay);
    __m256 diff = _mm256_sub_ps(gv, mv);
    mv = s.lerpLow ? _mm256_add_ps(mv, _mm256_mul_ps(w1, diff)) : _mm256_sub_ps(gv, _mm256_mul_ps(diff, w1c));
    vv = _mm256_add_ps(_mm256_mul_ps(vv, b2), _mm256_mul_ps(_mm256_mul_ps(w2, gv), gv));
    __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vv), bc2), eps);
    pv = _mm256_add_ps(pd, _mm256_div_ps(_mm256_mul_ps(step, mv), denom));
    _mm256_storeu_ps(p + i, pv);
    _mm256_storeu_ps(m + i, mv);
    _mm256_storeu_ps(v + i, vv);
  }
  return i;
}

static bool FusableFloat(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v) {
  for (const at::Tensor* t : {&p, &g, &m, &v}) {
    if (t->scalar_type() != at::kFloat || !t->device().is_cpu() || !t->is_contiguous()) return false;
  }
  return g.numel() == p.numel() && m.numel() == p.numel() && v.numel() == p.numel();
}

// The whole update in one pass over p, g, m, v (the op sequence makes eight passes and two
// temporaries; lerp_ is not even vectorised in torch 1.13).
static void FusedAdamWFloat(at::Tensor& p, const at::Tensor& g, at::Tensor& m, at::Tensor& v, const AdamWScalars& s) {
  float* pp = p.data_ptr<float>();
  const float* gp = g.data_ptr<float>();
  float* mp = m.data_ptr<float>();
  float* vp = v.data_ptr<float>();
  int64_t n = p.numel();
  static const bool avx = __builtin_cpu_supports("avx");
  int64_t i = avx ? AdamWAvx(pp, gp, mp, vp, n, s) : 0;
  for (; i < n; i++) AdamWElement(pp[i], gp[i], mp[i], vp[i], s);
  // Raw writes skip autograd's version counter: bump it as the in-place ops did, so a graph that
  // saved this parameter still refuses to backpropagate through the stale value.
  p.unsafeGetTensorImpl()->bump_version();
}

// AdamW exactly as torch.optim.AdamW (single-tensor path, amsgrad=False, maximize=False):
//   θ ← θ·(1 − lr·λ);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
//   θ ← θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
// Parameters without a gradient are skipped (moments and step count untouched), as in torch.
// Takes each parameter's step count and returns them incremented where a gradient was present.
MX_OP(adamwStep) {
  auto params = Tensors(info, 0);
  auto expAvg = Tensors(info, 1);
  auto expAvgSq = Tensors(info, 2);
  auto steps = mx::Ints(info, 3);
  double lr = D(info, 4), beta1 = D(info, 5), beta2 = D(info, 6), eps = D(info, 7), wd = D(info, 8);
  if (params.size() != expAvg.size() || params.size() != expAvgSq.size() || params.size() != steps.size()) {
    throw mx::JsError("params, optimizer state and step-count lists differ in length");
  }
  at::NoGradGuard noGrad;
  auto out = Napi::Array::New(env, steps.size());
  for (size_t i = 0; i < params.size(); i++) {
    at::Tensor& p = params[i];
    const at::Tensor& g = p.grad();
    if (g.defined()) steps[i] += 1;
    out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(steps[i])));
    if (!g.defined()) continue;
    // Bias corrections use this parameter's own step count, as torch (state['step'] per parameter).
    double bc1 = 1 - std::pow(beta1, static_cast<double>(steps[i]));
    double bc2Sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(steps[i])));
    if (FusableFloat(p, g, expAvg[i], expAvgSq[i])) {
      float w1 = static_cast<float>(1 - beta1);
      AdamWScalars s{static_cast<float>(1 - lr * wd), w1, static_cast<float>(beta2), static_cast<float>(1 - beta2),
                     static_cast<float>(bc2Sqrt), static_cast<float>(eps), static_cast<float>(-lr / bc1),
                     std::abs(w1) < 0.5f};
      FusedAdamWFloat(p, g, expAvg[i], expAvgSq[i], s);
      continue;
    }
    p.mul_(1 - lr * wd);
    expAvg[i].lerp_(g, 1 - beta1);
    expAvgSq[i].mul_(beta2).addcmul_(g, g, 1 - beta2);
    at::Tensor denom = (expAvgSq[i].sqrt() / bc2Sqrt).add_(eps);
    p.addcdiv_(expAvg[i], denom, -lr / bc1);
  }
  return out;
}

// Global L2 norm of all gradients (as torch.nn.utils.clip_grad_norm_), scaling them so the norm is
// at most maxNorm when maxNorm > 0. Returns the norm before clipping.
MX_OP(clipGradNorm) {
  auto params = Tensors(info, 0);
  double maxNorm = D(info, 1);
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> norms;
  for (auto& p : params) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    // bfloat16/float16 gradients are reduced in float32, float32/float64 in their own precision.
    bool reduced = g.scalar_type() == at::kBFloat16 || g.scalar_type() == at::kHalf;
    norms.push_back(at::norm(reduced ? g.to(at::kFloat) : g, 2).to(at::kDouble));
  }
  if (norms.empty()) return Napi::Number::New(env, 0.0);
  double total = at::norm(at::stack(norms), 2).item<double>();
  if (maxNorm > 0) {
    double coef = maxNorm / (total + 1e-6);
    if (coef < 1) {
      for (auto& p : params) {
        if (p.grad().defined()) p.mutable_grad().mul_(coef);
      }
    }
  }
  return Napi::Number::New(env, total);
}

// Zeroes (drops) every gradient: the next backward writes fresh ones, as zero_grad(set_to_none=True).
MX_OP(zeroGrad) {
  for (auto& p : Tensors(info, 0)) p.mutable_grad().reset();
  return env.Undefined();
}

// True when every gradient is finite; used by the NaN/Inf guard before an optimizer step.
MX_OP(gradsFinite) {
  at::NoGradGuard noGrad;
  for (auto& p : Tensors(info, 0)) {
    if (p.grad().defined() && !at::isfinite(p.grad()).all().item<bool>()) return Napi::Boolean::New(env, false);
  }
  return Napi::Boolean::New(env, true);
}

void mx::RegisterOptim(Napi::Env env, Napi::Object exports) {
  exports.Set("adamwStep", Napi::Function::New(env, js_adamwStep, "adamwStep"));
  exports.Set("clipGradNorm", Napi::Function::New(env, js_clipGradNorm, "clipGradNorm"));
  exports.Set("zeroGrad", Napi::Function::New(env, js_zeroGrad, "zeroGrad"));
  exports.Set("gradsFinite", Napi::Function::New(env, js_gradsFinite, "gradsFinite"));
}
