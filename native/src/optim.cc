// Optimizer kernels: one call updates every parameter, so a step costs one Node-API crossing.
#include <ATen/ATen.h>

#include <cmath>

#include "handle.h"
#include "ops.h"

using mx::D;
using mx::I;
using mx::Tensors;

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
