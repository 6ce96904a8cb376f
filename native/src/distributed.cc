// c10d process groups for data parallelism: TCPStore rendezvous, then ProcessGroupGloo (CPU tensors)
// or ProcessGroupNCCL (CUDA tensors, when the linked libtorch has it). Nothing here moves bytes
// itself: libtorch's distributed engine does.
//
// Threads: initialisation blocks (until every rank has joined, or the timeout) and runs on a libuv
// worker. A collective is enqueued on the JS thread, in call order, so that every rank hands c10d
// the same sequence; a per-group waiter thread then waits for each one in turn and settles its
// Promise through a thread-safe function. The event loop keeps running meanwhile, and a long wait
// never occupies libuv's thread pool (which fs and zlib share).
//
// Failures: every c10d exception (c10::Error or not: Gloo throws its own), timeout or dead peer
// becomes a rejected Promise whose Error names the collective, the rank and the world size. After
// one failure the group is unusable (its peers' state is unknown), and every later call says so.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>  // at::NoGradGuard (not via ATen.h in libtorch 2.x)

#include <chrono>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <torch/version.h>

// c10d is compiled in with either backend: Gloo (its headers at build time) or NCCL (a CUDA libtorch
// with NCCL and nccl.h); scripts/torch-flags.mjs decides.
#if defined(MX_WITH_GLOO) || defined(MX_WITH_NCCL)
#define MX_WITH_C10D
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef MX_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef MX_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "handle.h"
#include "ops.h"

using mx::B;
using mx::I;
using mx::S;
using mx::T;

namespace {

#ifdef MX_WITH_C10D

// What a backend's process group is: c10d::ProcessGroup in libtorch 1.x, c10d::Backend from 2.0 (the
// ProcessGroup became a front dispatching to its backends). Both have the collectives used here.
#if TORCH_VERSION_MAJOR >= 2
using BackendGroup = c10d::Backend;
#else
using BackendGroup = c10d::ProcessGroup;
#endif

#ifndef MX_WITH_GLOO
// A pip or zip libtorch ships no Gloo headers, and Gloo's from elsewhere need not match the Gloo
// compiled into it (a silent ABI mismatch), so scripts/torch-flags.mjs does not pair them.
constexpr const char* kNoGloo =
    "this addon was built without c10d's Gloo backend (this libtorch ships no Gloo headers): use backend "
    "'nccl' on CUDA, or see docs/distributed.md";
#endif

struct Group;

// One queued operation, from its enqueueing (JS thread) to its settling (JS thread).
struct Job {
  Group* group;
  std::string what;                       // "allReduce(sum)", "barrier", "destroy"
  c10::intrusive_ptr<c10d::Work> work;    // null for destroy
  std::vector<at::Tensor> keep;           // tensors kept alive until the work is done
  std::function<void()> after;            // runs on the waiter thread once the work succeeded
  at::Tensor result;                      // allGather's output
  bool destroy = false;
  std::string error;                      // set when the job failed
  Napi::Promise::Deferred deferred;
  explicit Job(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

void SettleJob(Napi::Env env, Napi::Function, Group* group, Job* job);
void SettleJobIn(Napi::Env env, Group* group, Job* job);
using Settler = Napi::TypedThreadSafeFunction<Group, Job, SettleJob>;

std::mutex g_groups_mutex;
std::set<Group*> g_groups;  // live groups, for the environment's cleanup hook

struct Group {
  std::string backend;
  int rank = 0;
  int world = 1;
  std::chrono::milliseconds timeout{0};
  std::string master;  // host:port, for messages
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<BackendGroup> pg;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job*> queue;
  bool stopping = false;      // no more jobs accepted (destroy queued, or environment teardown)
  std::string failure;        // the first failure; guarded by mutex
  std::thread waiter;
  Settler settler;
  int pending = 0;            // JS thread only: jobs not yet settled (keeps the event loop alive)

  std::string Where() const {
    return "on rank " + std::to_string(rank) + " of " + std::to_string(world) + " (" + backend + ", timeout " +
           std::to_string(timeout.count()) + " ms)";
  }

  std::string Failure() {
    std::lock_guard<std::mutex> lock(mutex);
    return failure;
  }

  void WaitLoop() {
    for (;;) {
      Job* job;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return !queue.empty() || teardown; });
        if (teardown) return;  // the process is exiting: nobody waits for these Promises
        job = queue.front();
        queue.pop_front();
      }
      Run(job);
      bool last = job->destroy;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (teardown) return;  // the environment went away while this job ran
      }
      settler.BlockingCall(job);
      if (last) break;
    }
    released = true;
    settler.Release();  // the thread-safe function's finalizer then joins this thread and frees the group
  }

  void Run(Job* job) {
    at::NoGradGuard noGrad;  // GradMode is per thread: writes into parameters must not be recorded
    try {
      if (job->work) {
        std::string earlier = Failure();
        if (!earlier.empty()) throw std::runtime_error("an earlier collective failed: " + earlier);
        job->work->wait();
        if (job->after) job->after();
      }
    } catch (const std::exception& e) {
      job->error = mx::ExceptionMessage(e);
    } catch (...) {
      job->error = "unknown C++ exception";
    }
    if (!job->error.empty()) {
      std::lock_guard<std::mutex> lock(mutex);
      if (failure.empty()) failure = job->what + ": " + job->error;
    }
    job->work.reset();
    job->keep.clear();
    if (job->destroy) {
      // Joins Gloo's threads: here, not on the JS thread.
      pg.reset();
      store.reset();
    }
  }

  bool teardown = false;               // environment cleanup: the waiter leaves at once; guarded by mutex
  std::atomic<bool> released{false};   // the waiter finished (after destroy) and released the settler
};

// The settler's finalizer (JS thread): after a destroy, the waiter has finished, so join it and free
// the group. At environment teardown the waiter may still be blocked: detach it and leave the group.
void FinalizeSettler(Napi::Env, void*, Group* group) {
  {
    std::lock_guard<std::mutex> lock(g_groups_mutex);
    g_groups.erase(group);
  }
  if (group->released) {
    if (group->waiter.joinable()) group->waiter.join();
    delete group;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(group->mutex);
    group->stopping = true;
    group->teardown = true;
  }
  group->wake.notify_all();
  if (group->waiter.joinable()) group->waiter.detach();
}

void SettleJob(Napi::Env env, Napi::Function, Group* group, Job* job) {
  std::unique_ptr<Job> owned(job);
  if (env == nullptr) return;  // environment shutting down: nobody is waiting
  // Nothing may escape a thread-safe function's callback (it would terminate the process): when the
  // environment is being torn down (worker.terminate()), Node-API calls fail and nobody listens.
  try {
    SettleJobIn(env, group, job);
  } catch (...) {
  }
}

void SettleJobIn(Napi::Env env, Group* group, Job* job) {
  Napi::HandleScope scope(env);
  if (--group->pending == 0) group->settler.Unref(env);
  if (!job->error.empty()) {
    Napi::Error err = Napi::Error::New(env, job->what + " failed " + group->Where() + ": " + job->error);
    err.Set("collective", Napi::String::New(env, job->what));
    err.Set("rank", Napi::Number::New(env, group->rank));
    err.Set("worldSize", Napi::Number::New(env, group->world));
    job->deferred.Reject(err.Value());
  } else if (job->result.defined()) {
    job->deferred.Resolve(mx::WrapTensor(env, job->result));
  } else {
    job->deferred.Resolve(env.Undefined());
  }
}

// The handle's heap object: the group outlives the handle while its waiter still runs.
struct GroupHandle {
  Group* group;
};

void FinalizeGroupHandle(Napi::Env, GroupHandle* h) {
  // Collected without destroy(): stop the waiter after its queue drains; the group is leaked on
  // purpose (destroying it could block the JS thread joining Gloo threads mid-collective).
  if (h->group) {
    std::lock_guard<std::mutex> lock(h->group->mutex);
    h->group->stopping = true;
  }
  delete h;
}

Group& G(const Napi::CallbackInfo& info, size_t i) {
  auto* h = static_cast<GroupHandle*>(mx::UnwrapKind(info[i], mx::HandleKind::ProcessGroup, "argument " + std::to_string(i)));
  if (!h->group) throw mx::JsError("argument " + std::to_string(i) + ": the process group was destroyed");
  return *h->group;
}

// Queues a job (JS thread) and returns its Promise.
Napi::Value Enqueue(Napi::Env env, Group& group, Job* job) {
  std::unique_ptr<Job> owned(job);
  Napi::Promise promise = job->deferred.Promise();
  {
    std::lock_guard<std::mutex> lock(group.mutex);
    if (group.stopping) throw mx::JsError(job->what + " " + group.Where() + ": the process group is being destroyed");
    group.queue.push_back(owned.release());
  }
  if (group.pending++ == 0) group.settler.Ref(env);
  group.wake.notify_one();
  return promise;
}

// Starts a collective on the JS thread (so every rank hands c10d the same sequence); a synchronous
// c10d refusal names the collective, rank and world size like an asynchronous failure.
template <typename Start>
void StartWork(Group& group, Job* job, Start start) {
  try {
    job->work = start();
  } catch (const std::exception& e) {
    std::string msg = job->what + " " + group.Where() + ": " + mx::ExceptionMessage(e);
    delete job;
    throw mx::JsError(msg);
  }
}

// Refuses new collectives on a group that already failed, naming the first failure.
void CheckUsable(Group& group, const std::string& what) {
  std::string earlier = group.Failure();
  if (!earlier.empty()) {
    throw mx::JsError(what + " " + group.Where() + ": the process group is unusable after an earlier failure (" +
                      earlier + ")");
  }
}

void CheckTensor(Group& group, const at::Tensor& t, const std::string& what) {
  bool cuda = group.backend == "nccl";
  if (cuda ? !t.device().is_cuda() : !t.device().is_cpu()) {
    throw mx::JsError(what + " " + group.Where() + ": the " + group.backend + " backend needs " +
                      (cuda ? "CUDA" : "CPU") + " tensors, got " + mx::DescribeTensor(t));
  }
  if (!t.is_contiguous()) {
    throw mx::JsError(what + " " + group.Where() + ": the tensor must be contiguous, got a strided view " + mx::DescribeTensor(t));
  }
  // Checked here rather than left to Gloo, which fails on its own thread and so breaks the group.
  static const std::set<at::ScalarType> glooTypes{at::kFloat, at::kDouble, at::kHalf, at::kChar, at::kByte, at::kInt, at::kLong};
  if (!cuda && glooTypes.count(t.scalar_type()) == 0) {
    throw mx::JsError(what + " " + group.Where() + ": gloo cannot transfer " + mx::DescribeTensor(t) +
                      " tensors (float32, float64, float16, int32, int64 and uint8 only)");
  }
}

struct InitOptions {
  std::string backend, masterAddr, deviceHost;
  std::vector<std::string> interfaces;
  int port = 0, rank = 0, world = 1;
  std::chrono::milliseconds timeout{0};      // each collective (and the group's handshake)
  std::chrono::milliseconds initTimeout{0};  // waiting for every rank to join
};

const char* const kJoinedKey = "maxent-rlhf/joined";
const char* const kAllJoinedKey = "maxent-rlhf/all-joined";

// Rendezvous and process-group construction, off the JS thread (both block until every rank joined).
class InitWorker : public Napi::AsyncWorker {
 public:
  InitWorker(Napi::Env env, InitOptions opts)
      : Napi::AsyncWorker(env, "maxent-rlhf:distInit"), opts_(std::move(opts)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      c10d::TCPStoreOptions so;
      so.port = static_cast<uint16_t>(opts_.port);
      so.isServer = opts_.rank == 0;
      so.numWorkers = static_cast<size_t>(opts_.world);
      // Not waiting for workers here: c10d's wait gives up silently at the timeout, and the group
      // constructor would then wait a second timeout. The constructor's own rendezvous fails at one.
      so.waitWorkers = false;
      // c10d's socket connect counts whole seconds (under 1 s it gives up at once).
      so.timeout = std::max(opts_.initTimeout, std::chrono::milliseconds(1000));
      auto store = c10::make_intrusive<c10d::TCPStore>(opts_.masterAddr, so);
      port_ = store->getPort();
      // Our own rendezvous first, under the init timeout (ranks start seconds apart: loading
      // libtorch, compiling TypeScript); then the group, whose handshake and collectives use the
      // collective timeout, builds its mesh among ranks that are all there.
      int64_t joined = store->add(kJoinedKey, 1);
      if (joined == opts_.world) store->set(kAllJoinedKey, std::vector<uint8_t>{1});
      try {
        store->wait({kAllJoinedKey}, opts_.initTimeout);
      } catch (const std::exception& e) {
        int64_t count = -1;
        try {
          count = store->add(kJoinedKey, 0);
        } catch (...) {
        }
        throw std::runtime_error((count >= 0 ? std::to_string(count) : std::string("not all")) + " of " +
                                 std::to_string(opts_.world) + " ranks joined within " +
                                 std::to_string(opts_.initTimeout.count()) + " ms (" + mx::ExceptionMessage(e) + ")");
      }
      store->setTimeout(opts_.timeout);
      if (opts_.backend == "gloo") {
#ifdef MX_WITH_GLOO
        auto options = c10d::ProcessGroupGloo::Options::create(opts_.timeout);
        if (!opts_.interfaces.empty()) {
          for (const auto& name : opts_.interfaces) options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
        } else if (!opts_.deviceHost.empty()) {
          options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(opts_.deviceHost));
        } else {
          options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        }
        options->threads = static_cast<int>(options->devices.size() * 2);
        pg_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, opts_.rank, opts_.world, options);
#else
        throw std::runtime_error(kNoGloo);
#endif
      } else {
#ifdef MX_WITH_NCCL
        // Blocking waits make wait() honour the timeout on the host (and surface NCCL errors there).
        setenv("NCCL_BLOCKING_WAIT", "1", 0);
        auto options = c10d::ProcessGroupNCCL::Options::create();
        options->timeout = opts_.timeout;
        pg_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, opts_.rank, opts_.world, options);
#else
        throw std::runtime_error("this addon was built without NCCL (it needs a CUDA libtorch with NCCL; see docs/distributed.md)");
#endif
      }
      store_ = store;
    } catch (const std::exception& e) {
      error_ = mx::ExceptionMessage(e);
    } catch (...) {
      error_ = "unknown C++ exception";
    }
  }

  // Runs on the JS thread; nothing may escape it: during worker.terminate() Node-API calls fail.
  void OnOK() override {
    try {
      Settle();
    } catch (...) {
    }
  }

  void OnError(const Napi::Error& e) override {
    try {
      deferred_.Reject(e.Value());
    } catch (...) {
    }
  }

 private:
  void Settle() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!error_.empty()) {
      Napi::Error err = Napi::Error::New(
          env, "initProcessGroup(" + opts_.backend + ") failed on rank " + std::to_string(opts_.rank) + " of " +
                   std::to_string(opts_.world) + " (master " + opts_.masterAddr + ":" + std::to_string(opts_.port) +
                   ", init timeout " + std::to_string(opts_.initTimeout.count()) + " ms): " + error_);
      err.Set("collective", Napi::String::New(env, "init"));
      err.Set("rank", Napi::Number::New(env, opts_.rank));
      err.Set("worldSize", Napi::Number::New(env, opts_.world));
      deferred_.Reject(err.Value());
      return;
    }
    auto* group = new Group();
    group->backend = opts_.backend;
    group->rank = opts_.rank;
    group->world = opts_.world;
    group->timeout = opts_.timeout;
    group->master = opts_.masterAddr + ":" + std::to_string(port_);
    group->store = store_;
    group->pg = pg_;
    group->settler = Settler::New(env, "maxent-rlhf:collective", 0, 1, group, FinalizeSettler);
    group->settler.Unref(env);
    group->waiter = std::thread([group] { group->WaitLoop(); });
    {
      std::lock_guard<std::mutex> lock(g_groups_mutex);
      g_groups.insert(group);
    }
    auto handle = mx::WrapTagged(env, new GroupHandle{group}, mx::kProcessGroupTag, FinalizeGroupHandle);
    deferred_.Resolve(handle);
  }

  InitOptions opts_;
  Napi::Promise::Deferred deferred_;
  std::string error_;
  int port_ = 0;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<BackendGroup> pg_;
};

std::string GetString(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw mx::JsError(std::string("options.") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

int64_t GetInt(const Napi::Object& o, const char* key, int64_t lo, int64_t hi) {
  Napi::Value v = o.Get(key);
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi) && d == std::trunc(d))) {
    throw mx::JsError(std::string("options.") + key + " must be an integer in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "], got " + mx::DescribeValue(v));
  }
  return static_cast<int64_t>(d);
}

// Environment teardown (process exit, worker thread end): stop the waiters. Groups with work in
// flight are left to the OS rather than joined, so exiting never waits on a peer.
void CleanupGroups(void*) {
  std::lock_guard<std::mutex> lock(g_groups_mutex);
  for (Group* g : g_groups) {
    {
      std::lock_guard<std::mutex> glock(g->mutex);
      g->stopping = true;
      g->teardown = true;
    }
    g->wake.notify_all();
    if (g->waiter.joinable()) g->waiter.detach();
  }
}

#endif  // MX_WITH_C10D

}  // namespace

// ---------------------------------------------------------------- bindings

// The backends compiled in: [], ['gloo'], ['nccl'] (a pip/zip CUDA libtorch: no Gloo headers) or
// ['gloo', 'nccl'].
MX_OP(distBackends) {
  auto out = Napi::Array::New(env);
  uint32_t n = 0;
#ifdef MX_WITH_GLOO
  out.Set(n++, Napi::String::New(env, "gloo"));
#endif
#ifdef MX_WITH_NCCL
  out.Set(n++, Napi::String::New(env, "nccl"));
#endif
  (void)n;
  return out;
}

#ifdef MX_WITH_C10D

// ({backend, masterAddr, masterPort, rank, worldSize, timeoutMs, initTimeoutMs, deviceHost, interfaces}) → Promise<group>
MX_OP(distInit) {
  if (!info[0].IsObject()) throw mx::JsError("argument 0 must be an options object");
  auto o = info[0].As<Napi::Object>();
  InitOptions opts;
  opts.backend = GetString(o, "backend");
  if (opts.backend != "gloo" && opts.backend != "nccl") throw mx::JsError("options.backend must be 'gloo' or 'nccl', got '" + opts.backend + "'");
#ifndef MX_WITH_GLOO
  if (opts.backend == "gloo") throw mx::JsError(kNoGloo);
#endif
#ifndef MX_WITH_NCCL
  if (opts.backend == "nccl") {
    throw mx::JsError("this addon was built without NCCL (it needs a CUDA libtorch with NCCL; see docs/distributed.md)");
  }
#endif
  opts.masterAddr = GetString(o, "masterAddr");
  if (opts.masterAddr.empty()) throw mx::JsError("options.masterAddr is empty");
  opts.port = static_cast<int>(GetInt(o, "masterPort", 0, 65535));
  opts.world = static_cast<int>(GetInt(o, "worldSize", 1, 1 << 20));
  opts.rank = static_cast<int>(GetInt(o, "rank", 0, opts.world - 1));
  opts.timeout = std::chrono::milliseconds(GetInt(o, "timeoutMs", 1, int64_t(1) << 40));
  opts.initTimeout = std::chrono::milliseconds(GetInt(o, "initTimeoutMs", 1, int64_t(1) << 40));
  if (opts.port == 0 && opts.rank != 0) throw mx::JsError("options.masterPort 0 (any free port) only works for rank 0");
  Napi::Value host = o.Get("deviceHost");
  if (!host.IsUndefined() && !host.IsNull()) opts.deviceHost = GetString(o, "deviceHost");
  Napi::Value ifs = o.Get("interfaces");
  if (!ifs.IsUndefined() && !ifs.IsNull()) {
    if (!ifs.IsArray()) throw mx::JsError("options.interfaces must be an array of interface names");
    auto arr = ifs.As<Napi::Array>();
    for (uint32_t k = 0; k < arr.Length(); k++) {
      Napi::Value v = arr[k];
      if (!v.IsString()) throw mx::JsError("options.interfaces[" + std::to_string(k) + "] must be a string");
      opts.interfaces.push_back(v.As<Napi::String>().Utf8Value());
    }
  }
  auto* worker = new InitWorker(env, std::move(opts));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// (group) → {rank, worldSize, backend, master, timeoutMs, failure}
MX_OP(distInfo) {
  Group& g = G(info, 0);
  auto out = Napi::Object::New(env);
  out.Set("rank", g.rank);
  out.Set("worldSize", g.world);
  out.Set("backend", g.backend);
  out.Set("master", g.master);
  out.Set("timeoutMs", static_cast<double>(g.timeout.count()));
  std::string failure = g.Failure();
  out.Set("failure", failure.empty() ? env.Null() : Napi::String::New(env, failure));
  return out;
}

// (group, tensor, op: 'sum'|'avg'|'max'|'min') → Promise<void>, in place.
MX_OP(distAllReduce) {
  Group& g = G(info, 0);
  at::Tensor t = T(info, 1);
  std::string op = S(info, 2);
  std::string what = "allReduce(" + op + ")";
  c10d::ReduceOp reduce;
  if (op == "sum" || op == "avg") reduce = c10d::ReduceOp::SUM;  // Gloo has no AVG: sum, then divide
  else if (op == "max") reduce = c10d::ReduceOp::MAX;
  else if (op == "min") reduce = c10d::ReduceOp::MIN;
  else throw mx::JsError("argument 2 must be 'sum', 'avg', 'max' or 'min', got '" + op + "'");
  if (op == "avg" && !at::isFloatingType(t.scalar_type())) {
    throw mx::JsError(what + " " + g.Where() + ": averaging needs a floating-point tensor, got " + mx::DescribeTensor(t));
  }
  CheckUsable(g, what);
  CheckTensor(g, t, what);
  auto* job = new Job(env);
  job->group = &g;
  job->what = what;
  job->keep = {t};
  c10d::AllreduceOptions opts;
  opts.reduceOp = reduce;
  StartWork(g, job, [&] { return g.pg->allreduce(job->keep, opts); });
  if (op == "avg") {
    int world = g.world;
    job->after = [t, world]() mutable { t.div_(world); };
  }
  return Enqueue(env, g, job);
}

// (group, tensors[], op) → undefined, once every tensor is reduced in place: one collective per
// tensor, all started before the first wait. Blocking, for the synchronous training step (its
// forward and backward already run on the JS thread); c10d's timeout and dead-peer detection bound
// the wait as for the asynchronous form. Ordered with the queued collectives: both start on the JS
// thread in call order. The first failure makes the group unusable, as a queued failure does.
MX_OP(distAllReduceBlocking) {
  Group& g = G(info, 0);
  std::vector<at::Tensor> tensors = mx::Tensors(info, 1);
  std::string op = S(info, 2);
  std::string what = "allReduce(" + op + ")";
  c10d::ReduceOp reduce;
  if (op == "sum" || op == "avg") reduce = c10d::ReduceOp::SUM;
  else if (op == "max") reduce = c10d::ReduceOp::MAX;
  else if (op == "min") reduce = c10d::ReduceOp::MIN;
  else throw mx::JsError("argument 2 must be 'sum', 'avg', 'max' or 'min', got '" + op + "'");
  CheckUsable(g, what);
  for (const auto& t : tensors) {
    if (op == "avg" && !at::isFloatingType(t.scalar_type())) {
      throw mx::JsError(what + " " + g.Where() + ": averaging needs a floating-point tensor, got " + mx::DescribeTensor(t));
    }
    CheckTensor(g, t, what);
  }
  {
    std::lock_guard<std::mutex> lock(g.mutex);
    if (g.stopping) throw mx::JsError(what + " " + g.Where() + ": the process group is being destroyed");
  }
  auto fail = [&](const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(g.mutex);
      if (g.failure.empty()) g.failure = what + ": " + why;
    }
    return mx::JsError(what + " failed " + g.Where() + ": " + why);
  };
  c10d::AllreduceOptions opts;
  opts.reduceOp = reduce;
  // Each collective keeps its own one-tensor list (c10d holds references to the tensors until done).
  std::vector<std::vector<at::Tensor>> lists;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  lists.reserve(tensors.size());
  for (const auto& t : tensors) {
    lists.push_back({t});
    try {
      works.push_back(g.pg->allreduce(lists.back(), opts));
    } catch (const std::exception& e) {
      // Refused before anything started: the group is still in step with its peers.
      if (works.empty()) throw mx::JsError(what + " " + g.Where() + ": " + mx::ExceptionMessage(e));
      throw fail(mx::ExceptionMessage(e));
    }
  }
  at::NoGradGuard noGrad;
  for (size_t k = 0; k < works.size(); k++) {
    try {
      works[k]->wait();
    } catch (const std::exception& e) {
      // The remaining collectives hold their tensors until c10d is done with them; the run stops here.
      throw fail(mx::ExceptionMessage(e));
    } catch (...) {
      throw fail("unknown C++ exception");
    }
    if (op == "avg") tensors[k].div_(g.world);
  }
  return env.Undefined();
}

// (group, tensor, src) → Promise<void>: every rank's tensor becomes rank src's.
MX_OP(distBroadcast) {
  Group& g = G(info, 0);
  at::Tensor t = T(info, 1);
  int64_t src = I(info, 2);
  std::string what = "broadcast(src " + std::to_string(src) + ")";
  if (src < 0 || src >= g.world) throw mx::JsError(what + " " + g.Where() + ": src must be a rank in [0, " + std::to_string(g.world - 1) + "]");
  CheckUsable(g, what);
  CheckTensor(g, t, what);
  auto* job = new Job(env);
  job->group = &g;
  job->what = what;
  job->keep = {t};
  c10d::BroadcastOptions opts;
  opts.rootRank = static_cast<int64_t>(src);
  opts.rootTensor = 0;
  StartWork(g, job, [&] { return g.pg->broadcast(job->keep, opts); });
  return Enqueue(env, g, job);
}

// (group, tensor) → Promise<tensor [worldSize, ...shape]>: row r holds rank r's tensor.
MX_OP(distAllGather) {
  Group& g = G(info, 0);
  at::Tensor t = T(info, 1);
  std::string what = "allGather";
  CheckUsable(g, what);
  CheckTensor(g, t, what);
  std::vector<int64_t> shape{g.world};
  for (int64_t s : t.sizes()) shape.push_back(s);
  at::Tensor out = at::empty(shape, t.options().requires_grad(false));
  auto* job = new Job(env);
  job->group = &g;
  job->what = what;
  job->result = out;
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int64_t r = 0; r < g.world; r++) outputs[0].push_back(out[r]);
  std::vector<at::Tensor> inputs{t.detach()};
  job->keep = {t, out};
  StartWork(g, job, [&] { return g.pg->allgather(outputs, inputs); });
  return Enqueue(env, g, job);
}

// (group) → Promise<void>, once every rank reached it.
MX_OP(distBarrier) {
  Group& g = G(info, 0);
  CheckUsable(g, "barrier");
  auto* job = new Job(env);
  job->group = &g;
  job->what = "barrier";
  StartWork(g, job, [&] { return g.pg->barrier(); });
  return Enqueue(env, g, job);
}

// (group) → Promise<void>: after the queued collectives settle, releases the group and its store.
// Later calls on the handle throw; destroying twice is a no-op.
MX_OP(distDestroy) {
  auto* h = static_cast<GroupHandle*>(mx::UnwrapKind(info[0], mx::HandleKind::ProcessGroup, "argument 0"));
  if (!h->group) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }
  Group& g = *h->group;
  auto* job = new Job(env);
  job->group = &g;
  job->what = "destroy";
  job->destroy = true;
  Napi::Value promise = Enqueue(env, g, job);
  {
    std::lock_guard<std::mutex> lock(g.mutex);
    g.stopping = true;
  }
  h->group = nullptr;
  return promise;
}

#endif  // MX_WITH_C10D

void mx::RegisterDistributed(Napi::Env env, Napi::Object exports) {
#define REG(name) exports.Set(#name, Napi::Function::New(env, js_##name, #name))
  REG(distBackends);
#ifdef MX_WITH_C10D
  REG(distInit); REG(distInfo); REG(distAllReduce); REG(distAllReduceBlocking); REG(distBroadcast); REG(distAllGather); REG(distBarrier);
  REG(distDestroy);
  napi_add_env_cleanup_hook(env, CleanupGroups, nullptr);
#endif
#undef REG
}
