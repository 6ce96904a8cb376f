// Runtime facts and knobs: versions, build configuration, threads, CUDA availability.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <dlfcn.h>

#include <limits>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <torch/version.h>

#include "handle.h"
#include "ops.h"

using mx::I;


// OpenBLAS keeps its own thread pool; torch's intra-op threads calling into it oversubscribe the
// cores. We look the setter up at run time so builds against MKL or other BLAS still load.
static bool SetBlasThreads(int n) {
  using SetFn = void (*)(int);
  auto fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!fn) return false;
  fn(n);
  return true;
}

// glibc serves blocks of ≥ 32 MB (and, by default, any block above its adaptive threshold) with a
// fresh mmap and unmaps them on free, so every large tensor (logits, their gradients) is page-faulted
// in again at each use, and freed heap tops are trimmed back to the OS. Page faults are expensive
// (very much so in VMs): a [1024, 8192] float32 linear spent 90% of its time faulting. Keeping freed
// memory in the process (no mmap for malloc, no trimming) makes a training step reuse the same pages,
// like PyTorch's caching allocators do on accelerators. Returns false where the C library is not glibc.
static bool RetainFreedMemory() {
#if defined(__GLIBC__)
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max()) == 1;
#else
  return false;
#endif
}

// Thread pools are created eagerly at the next parallel region: a typo such as 1e9 must not try to
// start a billion threads.
static constexpr int64_t kMaxThreads = 1024;

MX_OP(retainFreedMemory) { return Napi::Boolean::New(env, RetainFreedMemory()); }

MX_OP(setNumThreads) {
  at::set_num_threads(static_cast<int>(mx::IRange(info, 0, 1, kMaxThreads, "thread count")));
  return env.Undefined();
}
MX_OP(getNumThreads) { return Napi::Number::New(env, at::get_num_threads()); }
MX_OP(setBlasThreads) {
  return Napi::Boolean::New(env, SetBlasThreads(static_cast<int>(mx::IRange(info, 0, 1, kMaxThreads, "thread count"))));
}

MX_OP(info) {
  auto out = Napi::Object::New(env);
  out.Set("torchVersion", TORCH_VERSION);
  out.Set("cxxStandard", static_cast<double>(__cplusplus / 100 % 100));  // 17 or 20: what the addon was compiled as
  out.Set("cudaAvailable", at::hasCUDA());
  out.Set("cudaDevices", at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0);
  out.Set("mklAvailable", at::hasMKL());
  out.Set("mkldnnAvailable", at::hasMKLDNN());
  out.Set("openblasSymbol", dlsym(RTLD_DEFAULT, "openblas_set_num_threads") != nullptr);
  out.Set("numThreads", at::get_num_threads());
  out.Set("numInteropThreads", at::get_num_interop_threads());
  out.Set("buildConfig", at::show_config());
  out.Set("parallelInfo", at::get_parallel_info());
  out.Set("cudaGraphsBuilt", mx::CudaGraphsBuilt());
  out.Set("cudaGraphSteps", static_cast<double>(mx::CudaGraphSteps()));
  return out;
}

void mx::RegisterRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("setNumThreads", Napi::Function::New(env, js_setNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, js_getNumThreads, "getNumThreads"));
  exports.Set("setBlasThreads", Napi::Function::New(env, js_setBlasThreads, "setBlasThreads"));
  exports.Set("info", Napi::Function::New(env, js_info, "info"));
  exports.Set("retainFreedMemory", Napi::Function::New(env, js_retainFreedMemory, "retainFreedMemory"));
}
