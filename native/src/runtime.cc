// Runtime facts and knobs: versions, build configuration, threads, CUDA availability.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/CPUAllocator.h>
#include <dlfcn.h>

#include <atomic>
#include <cstring>
#include <limits>
#include <mutex>
#include <unordered_map>
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

// Counted host memory: the bytes libtorch's CPU allocator holds for tensors (every tensor and every
// temporary inside an op), and their high-water mark since the last reset — what a CUDA caching
// allocator's memory_allocated / max_memory_allocated report on a GPU. The resident set size is no
// substitute: with the retention policy above it keeps whatever the heap once held, and in one
// measured run it read 0.69× and in another 1.63× the same step's plan. Installed on request
// (trackHostMemory) in front of the default allocator; tensors allocated before it are not counted.
namespace {
// Its blocks are plain pointers (context == data, as libtorch's raw_allocate requires of the CPU
// allocator), so each block's size is kept in a table until it is freed.
class CountingCpuAllocator final : public at::Allocator {
 public:
  explicit CountingCpuAllocator(at::Allocator* inner) : inner_(inner), inner_free_(inner->raw_deleter()) {}
  bool usable() const { return inner_free_ != nullptr; }
  // libtorch 1.13 declares allocate const, 2.x non-const: defining both overrides whichever exists.
  at::DataPtr allocate(size_t n) const { return Allocate(n); }
  at::DataPtr allocate(size_t n) { return Allocate(n); }
  at::DeleterFnPtr raw_deleter() const { return &Free; }
  // Pure virtual from libtorch 2.3 on; a plain method before.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }
  int64_t current() const { return current_.load(); }
  int64_t peak() const { return peak_.load(); }
  void ResetPeak() { peak_.store(current_.load()); }

 private:
  static void Free(void* data);
  at::DataPtr Allocate(size_t n) const {
    at::DataPtr inner = inner_->allocate(n);
    void* data = inner.release_context();  // the inner allocator's blocks are plain too (usable())
    if (data) {
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_[data] = n;
    }
    const int64_t now = current_.fetch_add(static_cast<int64_t>(n)) + static_cast<int64_t>(n);
    int64_t seen = peak_.load();
    while (now > seen && !peak_.compare_exchange_weak(seen, now)) {
    }
    return {data, data, &Free, at::Device(at::kCPU)};
  }
  void Release(void* data) const {
    size_t n = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = sizes_.find(data);
      if (it != sizes_.end()) {
        n = it->second;
        sizes_.erase(it);
      }
    }
    current_.fetch_sub(static_cast<int64_t>(n));
    inner_free_(data);
  }
  at::Allocator* inner_;
  at::DeleterFnPtr inner_free_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<void*, size_t> sizes_;
  mutable std::atomic<int64_t> current_{0};
  mutable std::atomic<int64_t> peak_{0};
};

CountingCpuAllocator* g_counting = nullptr;  // lives for the process: blocks it handed out point to it

void CountingCpuAllocator::Free(void* data) {
  if (data) g_counting->Release(data);
}
}  // namespace

MX_OP(trackHostMemory) {
  if (!g_counting) {
    auto* counting = new CountingCpuAllocator(c10::GetCPUAllocator());
    if (!counting->usable()) {
      delete counting;
      return Napi::Boolean::New(env, false);
    }
    g_counting = counting;
    c10::SetCPUAllocator(g_counting, /*priority=*/std::numeric_limits<uint8_t>::max());
  }
  return Napi::Boolean::New(env, c10::GetCPUAllocator() == g_counting);
}

MX_OP(hostMemoryStats) {
  auto out = Napi::Object::New(env);
  out.Set("tracked", g_counting != nullptr);
  out.Set("current", static_cast<double>(g_counting ? g_counting->current() : 0));
  out.Set("peak", static_cast<double>(g_counting ? g_counting->peak() : 0));
  return out;
}

MX_OP(resetHostMemoryPeak) {
  if (g_counting) g_counting->ResetPeak();
  return env.Undefined();
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
  exports.Set("trackHostMemory", Napi::Function::New(env, js_trackHostMemory, "trackHostMemory"));
  exports.Set("hostMemoryStats", Napi::Function::New(env, js_hostMemoryStats, "hostMemoryStats"));
  exports.Set("resetHostMemoryPeak", Napi::Function::New(env, js_resetHostMemoryPeak, "resetHostMemoryPeak"));
}
