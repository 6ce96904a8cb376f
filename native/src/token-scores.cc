// Fused token scoring (issue 24, item 3): for logits [.., V] and int64 targets [..], one pass over
// each row's vocabulary gives
//   log_normalizer = log Σ_v exp(z_v)                (max, then a sum of exp(z − max))
//   log_prob       = z_target − log_normalizer
//   entropy        = −Σ_v p_v log p_v = log s − Σ_v e_v (z_v − max) / s,   e = exp(z − max), s = Σ e
// instead of logsumexp + gather + sub + softmax + mul + sum (six passes and a [.., V] softmax kept
// for backward). Tokens at −∞ (filtered by top-k / top-p) have p = 0 and contribute 0 to the
// entropy. Accumulation is in double (float32 and bf16/half inputs are read as float32); outputs are
// float32 (float64 for float64 logits). The backward is fused the same way:
//   ∂/∂z_v = p_v (g_lse − g_lp − g_H (log p_v + H)) + g_lp [v = target].
//
// It is a dispatcher operator (maxent_rlhf::token_scores, TORCH_LIBRARY) rather than a direct call,
// so that (1) libtorch's tracer records it like any ATen op — the recorded decode step
// (generate.cc) replays it natively — and (2) it has an Autograd kernel (a custom autograd Function),
// so the training-time scoring pass can backpropagate through it. CPU runs the fused kernel below;
// other devices (CUDA) run the same formulas as ATen ops (no device kernel is compiled here).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/library.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "handle.h"
#include "ops.h"

using mx::T;
using mx::WrapList;

// The vector helpers below are always inlined; their by-value vector ABI is never used.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace {

using Scores = std::tuple<at::Tensor, at::Tensor, at::Tensor>;

// ---------------------------------------------------------------- vectorised float32 exp
// GCC/Clang vector extensions: the compiler emits SSE/AVX2/AVX-512 (x86 target clones below) or NEON
// from the same code. exp by Cody–Waite range reduction and Cephes' degree-6 polynomial (≈ 1 ulp on
// [−87, 0], the range used here: arguments are z − max ≤ 0). Below −87 (exp < 2⁻¹²⁵, negligible
// next to the row's largest term, 1) the result is exactly 0, as it must be for −∞.
constexpr int kLanes = 8;
typedef float VF __attribute__((vector_size(kLanes * sizeof(float))));
typedef int32_t VI __attribute__((vector_size(kLanes * sizeof(int32_t))));
typedef double VD __attribute__((vector_size(kLanes * sizeof(double))));

constexpr float kExpCutoff = -87.0f;

// Always inlined: an out-of-line helper would pass vectors by the default target's ABI (in memory)
// while a target clone's call site expects registers.
#define MX_INLINE inline __attribute__((always_inline))

MX_INLINE VF Splat(float x) { return VF{} + x; }

MX_INLINE VF ExpNonPositive(VF x) {
  const VF live = x > Splat(kExpCutoff) ? Splat(1.0f) : Splat(0.0f);
  x = x > Splat(kExpCutoff) ? x : Splat(kExpCutoff);
  // n = round(x / ln 2) (x ≤ 0: truncation of x/ln2 − 0.5)
  const VF fn = __builtin_convertvector(__builtin_convertvector(x * Splat(1.44269504088896341f) - Splat(0.5f), VI), VF);
  const VF r = x - fn * Splat(0.693359375f) + fn * Splat(2.12194440e-4f);
  VF p = Splat(1.9875691500e-4f);
  p = p * r + Splat(1.3981999507e-3f);
  p = p * r + Splat(8.3334519073e-3f);
  p = p * r + Splat(4.1665795894e-2f);
  p = p * r + Splat(1.6666665459e-1f);
  p = p * r + Splat(5.0000001201e-1f);
  p = p * r * r + r + Splat(1.0f);
  const VI bits = (__builtin_convertvector(fn, VI) + 127) << 23;
  VF scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale * live;
}

MX_INLINE float ExpNonPositive(float x) {
  VF v = Splat(x);
  return ExpNonPositive(v)[0];
}

MX_INLINE VF Load(const float* p) {
  VF v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

MX_INLINE void Store(float* p, VF v) { std::memcpy(p, &v, sizeof v); }

MX_INLINE double SumLanes(VD v) {
  double s = 0;
  for (int i = 0; i < kLanes; i++) s += v[i];
  return s;
}

#if defined(__x86_64__) && !defined(__clang__)
#define MX_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MX_VECTOR_CLONES
#endif

// Forward statistics of one float32 row. NaN anywhere gives NaN; a row of −∞ gives lse −∞ and
// NaN entropy and log-prob (as logsumexp, gather and sub do).
struct RowStats {
  double lse;
  double entropy;
};

MX_VECTOR_CLONES
RowStats ForwardRow(const float* z, int64_t V) {
  const float inf = std::numeric_limits<float>::infinity();
  int64_t v = 0;
  VF vmax = Splat(-inf);
  VI nan = VI{};
  for (; v + kLanes <= V; v += kLanes) {
    VF x = Load(z + v);
    nan |= x != x;
    vmax = x > vmax ? x : vmax;
  }
  float m = -inf;
  bool anyNaN = false;
  for (int i = 0; i < kLanes; i++) {
    m = vmax[i] > m ? vmax[i] : m;
    anyNaN |= nan[i] != 0;
  }
  for (; v < V; v++) {
    m = z[v] > m ? z[v] : m;
    anyNaN |= z[v] != z[v];
  }
  const double qnan = std::numeric_limits<double>::quiet_NaN();
  if (anyNaN || m == inf) return {qnan, qnan};
  if (m == -inf) return {-std::numeric_limits<double>::infinity(), qnan};
  // e = exp(z − m) ∈ [0, 1]; s = Σ e ≥ 1; t = Σ e (z − m), terms at −∞ masked to 0 (0 · −∞).
  VD s = VD{}, t = VD{};
  const VF mv = Splat(m);
  for (v = 0; v + kLanes <= V; v += kLanes) {
    VF x = Load(z + v) - mv;
    VF e = ExpNonPositive(x);
    VF ex = x > Splat(-inf) ? e * x : Splat(0.0f);
    s += __builtin_convertvector(e, VD);
    t += __builtin_convertvector(ex, VD);
  }
  double ss = SumLanes(s), tt = SumLanes(t);
  for (; v < V; v++) {
    float x = z[v] - m;
    float e = ExpNonPositive(x);
    ss += e;
    if (x > -inf) tt += static_cast<double>(e) * x;
  }
  const double logS = std::log(ss);
  return {m + logS, logS - tt / ss};
}

// grad_v = p_v (a − gH (z_v − lse)) with a = g_lse − g_lp − g_H H; the target's g_lp is added by
// the caller. p_v = exp(z_v − lse) ≤ 1.
MX_VECTOR_CLONES
void BackwardRow(const float* z, float* grad, int64_t V, float lse, float a, float gH) {
  const float inf = std::numeric_limits<float>::infinity();
  const VF lv = Splat(lse), av = Splat(a), gv = Splat(gH);
  int64_t v = 0;
  for (; v + kLanes <= V; v += kLanes) {
    VF x = Load(z + v) - lv;
    VF p = ExpNonPositive(x);
    VF g = x > Splat(-inf) ? p * (av - gv * x) : Splat(0.0f);
    Store(grad + v, g);
  }
  for (; v < V; v++) {
    float x = z[v] - lse;
    grad[v] = x > -inf ? ExpNonPositive(x) * (a - gH * x) : 0.0f;
  }
}

// Float64 rows (tests and references): plain scalar double arithmetic.
RowStats ForwardRowDouble(const double* z, int64_t V) {
  const double inf = std::numeric_limits<double>::infinity(), qnan = std::numeric_limits<double>::quiet_NaN();
  double m = -inf;
  for (int64_t v = 0; v < V; v++) {
    if (z[v] != z[v]) return {qnan, qnan};
    m = z[v] > m ? z[v] : m;
  }
  if (m == inf) return {qnan, qnan};
  if (m == -inf) return {-inf, qnan};
  double s = 0, t = 0;
  for (int64_t v = 0; v < V; v++) {
    double x = z[v] - m;
    if (x == -inf) continue;
    double e = std::exp(x);
    s += e;
    t += e * x;
  }
  return {m + std::log(s), std::log(s) - t / s};
}

void CheckInputs(const at::Tensor& logits, const at::Tensor& targets) {
  TORCH_CHECK(logits.dim() >= 1 && logits.size(-1) > 0, "token_scores: logits must be [.., V] with V > 0, got ",
              logits.sizes());
  TORCH_CHECK(at::isFloatingType(logits.scalar_type()), "token_scores: logits must be floating point, got ",
              logits.scalar_type());
  TORCH_CHECK(targets.scalar_type() == at::kLong, "token_scores: targets must be int64, got ", targets.scalar_type());
  TORCH_CHECK(targets.sizes() == logits.sizes().slice(0, logits.dim() - 1), "token_scores: targets must be ",
              logits.sizes().slice(0, logits.dim() - 1), " (the logits' leading dims), got ", targets.sizes());
  TORCH_CHECK(targets.device() == logits.device(), "token_scores: targets are on ", targets.device(),
              " but logits on ", logits.device());
}

at::ScalarType AccumType(const at::Tensor& logits) {
  return logits.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
}

void CheckTarget(int64_t target, int64_t V, int64_t row) {
  TORCH_CHECK(target >= 0 && target < V, "token_scores: target ", target, " of row ", row,
              " is outside the vocabulary [0, ", V, ")");
}

// Rows of a bf16/half tensor are widened into a per-thread float32 buffer before the float kernel.
const float* FloatRow(const at::Tensor& rows, int64_t r, std::vector<float>& scratch) {
  const int64_t V = rows.size(1);
  if (rows.scalar_type() == at::kFloat) return rows.data_ptr<float>() + r * V;
  scratch.resize(V);
  if (rows.scalar_type() == at::kBFloat16) {
    const auto* src = rows.data_ptr<at::BFloat16>() + r * V;
    for (int64_t v = 0; v < V; v++) scratch[v] = static_cast<float>(src[v]);
  } else {
    const auto* src = rows.data_ptr<at::Half>() + r * V;
    for (int64_t v = 0; v < V; v++) scratch[v] = static_cast<float>(src[v]);
  }
  return scratch.data();
}

Scores ForwardCpu(const at::Tensor& logits, const at::Tensor& targets) {
  const int64_t V = logits.size(-1);
  const at::Tensor rows = logits.contiguous().reshape({-1, V});
  const at::Tensor tgt = targets.contiguous().reshape({-1});
  const int64_t N = rows.size(0);
  const auto opts = logits.options().dtype(AccumType(logits));
  at::Tensor lse = at::empty({N}, opts), entropy = at::empty({N}, opts), logProb = at::empty({N}, opts);
  const int64_t* t = tgt.data_ptr<int64_t>();
  for (int64_t r = 0; r < N; r++) CheckTarget(t[r], V, r);
  if (rows.scalar_type() == at::kDouble) {
    const double* z = rows.data_ptr<double>();
    double *l = lse.data_ptr<double>(), *h = entropy.data_ptr<double>(), *lp = logProb.data_ptr<double>();
    at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; r++) {
        RowStats st = ForwardRowDouble(z + r * V, V);
        l[r] = st.lse;
        h[r] = st.entropy;
        lp[r] = z[r * V + t[r]] - st.lse;
      }
    });
  } else {
    float *l = lse.data_ptr<float>(), *h = entropy.data_ptr<float>(), *lp = logProb.data_ptr<float>();
    at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> scratch;
      for (int64_t r = begin; r < end; r++) {
        const float* z = FloatRow(rows, r, scratch);
        RowStats st = ForwardRow(z, V);
        l[r] = static_cast<float>(st.lse);
        h[r] = static_cast<float>(st.entropy);
        lp[r] = static_cast<float>(static_cast<double>(z[t[r]]) - st.lse);
      }
    });
  }
  const auto shape = logits.sizes().slice(0, logits.dim() - 1);
  return {logProb.reshape(shape), entropy.reshape(shape), lse.reshape(shape)};
}

// The same formulas as ATen ops, for devices without the fused kernel.
Scores ForwardComposite(const at::Tensor& logits, const at::Tensor& targets) {
  const at::Tensor z = logits.to(AccumType(logits));
  const at::Tensor lse = z.logsumexp(-1);
  const at::Tensor logProb = z.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - lse;
  const at::Tensor p = z.softmax(-1);
  const at::Tensor finite = z.masked_fill(z.isneginf(), 0);
  const at::Tensor entropy = lse - (p * finite).sum(-1);
  return {logProb, entropy, lse};
}

// The fused CPU kernel, unless MAXENT_TOKEN_SCORES=composite asks for the ATen-op formulas that
// other devices run (read per call, so that the tests check that path on the CPU too).
bool UseFusedKernel(const at::Tensor& logits) {
  if (!logits.is_cpu()) return false;
  const char* mode = std::getenv("MAXENT_TOKEN_SCORES");
  return !(mode && std::string(mode) == "composite");
}

Scores TokenScoresKernel(const at::Tensor& logits, const at::Tensor& targets) {
  CheckInputs(logits, targets);
  return UseFusedKernel(logits) ? ForwardCpu(logits, targets) : ForwardComposite(logits, targets);
}

at::Tensor OrZeros(const at::Tensor& g, const at::Tensor& like) { return g.defined() ? g : at::zeros_like(like); }

at::Tensor BackwardCpu(const at::Tensor& gLogProb, const at::Tensor& gEntropy, const at::Tensor& gLse,
                       const at::Tensor& logits, const at::Tensor& targets, const at::Tensor& lse,
                       const at::Tensor& entropy) {
  const int64_t V = logits.size(-1);
  const at::Tensor rows = logits.contiguous().reshape({-1, V});
  const int64_t N = rows.size(0);
  const auto flat = [&](const at::Tensor& x) { return x.to(at::kDouble).contiguous().reshape({-1}); };
  const at::Tensor glp = flat(gLogProb), gh = flat(gEntropy), gl = flat(gLse), l = flat(lse), h = flat(entropy);
  const at::Tensor tgt = targets.contiguous().reshape({-1});
  const double *glpP = glp.data_ptr<double>(), *ghP = gh.data_ptr<double>(), *glP = gl.data_ptr<double>(),
               *lP = l.data_ptr<double>(), *hP = h.data_ptr<double>();
  const int64_t* t = tgt.data_ptr<int64_t>();
  at::Tensor grad = at::empty({N, V}, rows.options().dtype(AccumType(logits)));
  if (rows.scalar_type() == at::kDouble) {
    const double* z = rows.data_ptr<double>();
    double* g = grad.data_ptr<double>();
    const double inf = std::numeric_limits<double>::infinity();
    at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; r++) {
        const double a = glP[r] - glpP[r] - ghP[r] * hP[r];
        for (int64_t v = 0; v < V; v++) {
          double x = z[r * V + v] - lP[r];
          g[r * V + v] = x > -inf ? std::exp(x) * (a - ghP[r] * x) : 0.0;
        }
        g[r * V + t[r]] += glpP[r];
      }
    });
  } else {
    float* g = grad.data_ptr<float>();
    at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> scratch;
      for (int64_t r = begin; r < end; r++) {
        const float* z = FloatRow(rows, r, scratch);
        const double a = glP[r] - glpP[r] - ghP[r] * hP[r];
        BackwardRow(z, g + r * V, V, static_cast<float>(lP[r]), static_cast<float>(a), static_cast<float>(ghP[r]));
        g[r * V + t[r]] += static_cast<float>(glpP[r]);
      }
    });
  }
  return grad.to(logits.scalar_type()).reshape(logits.sizes());
}

at::Tensor BackwardComposite(const at::Tensor& gLogProb, const at::Tensor& gEntropy, const at::Tensor& gLse,
                             const at::Tensor& logits, const at::Tensor& targets, const at::Tensor& lse,
                             const at::Tensor& entropy) {
  const at::Tensor z = logits.to(AccumType(logits));
  const at::Tensor logp = z - lse.unsqueeze(-1);
  const at::Tensor p = logp.exp();
  const at::Tensor finiteLogp = logp.masked_fill(z.isneginf(), 0);
  const at::Tensor a = (gLse - gLogProb - gEntropy * entropy).unsqueeze(-1);
  at::Tensor grad = p * (a - gEntropy.unsqueeze(-1) * finiteLogp);
  grad = grad.scatter_add(-1, targets.unsqueeze(-1), gLogProb.unsqueeze(-1).to(grad.scalar_type()));
  return grad.to(logits.scalar_type());
}

at::Tensor TokenScoresBackwardKernel(const at::Tensor& gLogProb, const at::Tensor& gEntropy, const at::Tensor& gLse,
                                     const at::Tensor& logits, const at::Tensor& targets, const at::Tensor& lse,
                                     const at::Tensor& entropy) {
  return UseFusedKernel(logits) ? BackwardCpu(gLogProb, gEntropy, gLse, logits, targets, lse, entropy)
                                : BackwardComposite(gLogProb, gEntropy, gLse, logits, targets, lse, entropy);
}

Scores CallForward(const at::Tensor& logits, const at::Tensor& targets) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("maxent_rlhf::token_scores", "")
                       .typed<Scores(const at::Tensor&, const at::Tensor&)>();
  return op.call(logits, targets);
}

at::Tensor CallBackward(const at::Tensor& gLogProb, const at::Tensor& gEntropy, const at::Tensor& gLse,
                        const at::Tensor& logits, const at::Tensor& targets, const at::Tensor& lse,
                        const at::Tensor& entropy) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("maxent_rlhf::token_scores_backward", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                         const at::Tensor&, const at::Tensor&, const at::Tensor&)>();
  return op.call(gLogProb, gEntropy, gLse, logits, targets, lse, entropy);
}

// Autograd: saves the logits (already kept by the LM head's matmul), targets and the two [..]
// statistics — not a [.., V] softmax.
class TokenScoresFunction : public torch::autograd::Function<TokenScoresFunction> {
 public:
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const at::Tensor& logits,
                                                const at::Tensor& targets) {
    at::AutoDispatchBelowADInplaceOrView guard;
    auto [logProb, entropy, lse] = CallForward(logits, targets);
    ctx->save_for_backward(torch::autograd::variable_list{logits, targets, lse, entropy});
    return torch::autograd::variable_list{logProb, entropy, lse};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor& lse = saved[2];
    at::Tensor grad = CallBackward(OrZeros(grads[0], lse), OrZeros(grads[1], lse), OrZeros(grads[2], lse),
                                        saved[0], saved[1], lse, saved[3]);
    return torch::autograd::variable_list{grad, at::Tensor()};
  }
};

Scores TokenScoresAutograd(const at::Tensor& logits, const at::Tensor& targets) {
  auto out = TokenScoresFunction::apply(logits, targets);
  return {out[0], out[1], out[2]};
}

}  // namespace

TORCH_LIBRARY(maxent_rlhf, m) {
  m.def("token_scores(Tensor logits, Tensor targets) -> (Tensor log_prob, Tensor entropy, Tensor log_normalizer)");
  m.def(
      "token_scores_backward(Tensor grad_log_prob, Tensor grad_entropy, Tensor grad_log_normalizer, Tensor logits, "
      "Tensor targets, Tensor log_normalizer, Tensor entropy) -> Tensor");
}

TORCH_LIBRARY_IMPL(maxent_rlhf, CompositeExplicitAutograd, m) {
  m.impl("token_scores", TokenScoresKernel);
  m.impl("token_scores_backward", TokenScoresBackwardKernel);
}

TORCH_LIBRARY_IMPL(maxent_rlhf, Autograd, m) { m.impl("token_scores", TokenScoresAutograd); }

// tokenScores(logits [.., V], targets [..] int64) → [logProb, entropy, logNormalizer], each [..],
// float32 (float64 for float64 logits); differentiable in logits.
MX_OP(tokenScores) {
  auto [logProb, entropy, lse] = CallForward(T(info, 0), T(info, 1));
  return WrapList(env, {logProb, entropy, lse});
}

namespace mx {
void RegisterTokenScores(Napi::Env env, Napi::Object exports) {
  exports.Set("tokenScores", Napi::Function::New(env, js_tokenScores, "tokenScores"));
}
}  // namespace mx
