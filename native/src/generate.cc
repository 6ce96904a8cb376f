// Recorded decode steps, replayed natively (docs/generation.md).
//
// The model is defined once, in TypeScript. To decode without returning to JavaScript per token, the
// TypeScript decode step runs once under libtorch's JIT tracer: every ATen op it dispatches (through
// any binding of this addon) is recorded into a TorchScript graph whose inputs are the tensors named
// at traceBegin. The graph is then replayed by the TorchScript interpreter in a native loop. Nothing
// here knows the architecture: the loop only carries some outputs back as the next step's inputs and
// collects the others.
//
// Graph protocol of runDecodeLoop: inputs = [carried..., fixed...]; outputs = [carried'...,
// collected..., stop], where stop is a bool scalar tensor (true = every row is finished).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/common_subexpression_elimination.h>
#include <torch/csrc/jit/passes/constant_pooling.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/runtime/interpreter.h>

#if defined(MX_WITH_NCCL) || defined(MX_WITH_CUDA)
// A CUDA libtorch whose CUDA runtime headers the build found (scripts/torch-flags.mjs).
#define MX_CUDA_GRAPHS 1
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "handle.h"
#include "ops.h"

using mx::I;
using mx::IRange;
using mx::JsError;
using mx::T;
using mx::Tensors;
using mx::WrapList;
using mx::WrapTensor;
namespace jit = torch::jit;

namespace {

// Decode steps run as CUDA-graph replays in this process (reported by `info`, so a GPU check can
// tell a working capture from a silent fallback).
std::atomic<int64_t> g_cudaGraphSteps{0};

const napi_type_tag kProgramTag = {0x6d78b1c0e5a14f3aULL, 0x51e0c7a94b2d4f88ULL};

// A recorded step: its graph and the interpreter code compiled from it.
struct Program {
  std::shared_ptr<jit::Graph> graph;
  std::unique_ptr<jit::Code> code;
  size_t numInputs = 0;
  size_t numOutputs = 0;
};

Program& UnwrapProgram(const Napi::Value& v) {
  if (!v.IsExternal() || !v.As<Napi::External<void>>().CheckTypeTag(&kProgramTag))
    throw JsError("argument 0 is not a recorded-step handle (from traceEnd)");
  auto* p = static_cast<Program*>(v.As<Napi::External<void>>().Data());
  if (!p->code) throw JsError("the recorded step was disposed");
  return *p;
}

// Whether a trace is open on this (the JS) thread.
bool Tracing() { return jit::tracer::getTracingState() != nullptr; }

std::vector<at::Tensor> ToTensors(const jit::Stack& stack, size_t from, size_t count) {
  std::vector<at::Tensor> out;
  out.reserve(count);
  for (size_t i = from; i < from + count; i++) out.push_back(stack[i].toTensor());
  return out;
}


#if MX_CUDA_GRAPHS
// The step captured once in a CUDA graph and replayed: static input buffers (the carried tensors;
// the fixed ones are the same tensors at every step) and the graph's own output buffers. Capture
// records kernels without running them, so the first step runs through the interpreter (lazy
// initialisation must not happen during capture) and capture happens before the second.
// Opt-in (MAXENT_CUDA_GRAPHS=1) until it has run on a GPU (docs/generation.md); a capture that fails
// falls back to the interpreter for the rest of the loop.
struct CapturedStep {
  at::cuda::CUDAGraph graph;
  std::vector<at::Tensor> inputs;
  std::vector<at::Tensor> outputs;

  CapturedStep(Program& p, const std::vector<at::Tensor>& carried, const std::vector<at::Tensor>& fixed) {
    for (auto& t : carried) inputs.push_back(t.clone());
    auto current = c10::cuda::getCurrentCUDAStream();
    current.synchronize();
    auto side = c10::cuda::getStreamFromPool();
    {
      c10::cuda::CUDAStreamGuard guard(side);
      jit::Stack stack;
      for (auto& t : inputs) stack.emplace_back(t);
      for (auto& t : fixed) stack.emplace_back(t);
      graph.capture_begin();
      jit::InterpreterState(*p.code).run(stack);
      graph.capture_end();
      outputs = ToTensors(stack, 0, stack.size());
    }
    side.synchronize();
  }

  // One step from `carried`: returns the outputs (copies: the graph's buffers are reused).
  std::vector<at::Tensor> Run(const std::vector<at::Tensor>& carried) {
    for (size_t i = 0; i < inputs.size(); i++)
      if (!inputs[i].is_same(carried[i])) inputs[i].copy_(carried[i]);
    graph.replay();
    std::vector<at::Tensor> out;
    out.reserve(outputs.size());
    for (auto& t : outputs) out.push_back(t.clone());
    return out;
  }
};

bool CudaGraphsWanted(const std::vector<at::Tensor>& carried) {
  const char* env = std::getenv("MAXENT_CUDA_GRAPHS");
  if (!env || std::string(env) != "1") return false;
  return !carried.empty() && carried[0].is_cuda();
}
#endif

}  // namespace

// indexCopy_(t, dim, index [n] int64, src): t's slices at `index` along `dim` become src's, in place
// (the static KV cache's write).
MX_OP(indexCopy_) {
  at::NoGradGuard g;
  auto& t = T(info, 0);
  t.index_copy_(I(info, 1), T(info, 2), T(info, 3));
  return env.Undefined();
}

// traceBegin(inputs: H[]): starts recording the ATen ops of this thread; `inputs` become the graph's
// inputs, in order. Every other tensor an op reads is baked into the graph as a constant.
MX_OP(traceBegin) {
  if (Tracing()) throw JsError("a trace is already open (traceEnd or traceAbandon it first)");
  auto inputs = Tensors(info, 0);
  auto state = std::make_shared<jit::tracer::TracingState>();
  state->warn = false;  // host reads inside ops (e.g. a CPU emptiness check) are branch decisions we accept
  for (size_t i = 0; i < inputs.size(); i++) {
    jit::Value* v = state->graph->addInput("input" + std::to_string(i));
    v->inferTypeFrom(inputs[i]);
    // The same tensor given twice (tied weights): ops read the first input, the second is unused.
    if (!state->hasValue(inputs[i])) state->setValue(inputs[i], v);
  }
  jit::tracer::setTracingState(state);
  return env.Undefined();
}

// traceEnd(outputs: H[]): stops recording; the graph returns `outputs`. Returns the recorded step.
MX_OP(traceEnd) {
  auto state = jit::tracer::getTracingState();
  if (!state) throw JsError("traceEnd without traceBegin");
  auto outputs = Tensors(info, 0);
  auto p = std::make_unique<Program>();
  try {
    for (size_t i = 0; i < outputs.size(); i++) state->graph->registerOutput(state->getOutput(outputs[i], i));
  } catch (...) {
    jit::tracer::setTracingState(nullptr);
    throw;
  }
  jit::tracer::setTracingState(nullptr);
  p->graph = state->graph;
  jit::EliminateDeadCode(p->graph);
  // Ops repeated on the same inputs (each layer's attention negates the same mask) run once.
  jit::ConstantPooling(p->graph);
  jit::EliminateCommonSubexpression(p->graph);
  // A tensor made from JavaScript data is recorded as its allocation only (the copy of the data is
  // no op): replaying it would read uninitialised memory. Refuse such a step.
  for (jit::Node* n : p->graph->nodes()) {
    const std::string kind = n->kind().toQualString();
    if ((kind == "aten::empty" || kind == "aten::empty_like" || kind == "aten::empty_strided" ||
         kind == "aten::new_empty") && n->output(0)->hasUses())
      throw JsError("the recorded step reads a tensor created from JavaScript data while recording (" + kind +
                    " in the graph): create it before recording, or from tensor ops");
  }
  p->numInputs = p->graph->inputs().size();
  p->numOutputs = p->graph->outputs().size();
  p->code = std::make_unique<jit::Code>(p->graph, "recorded_step");
  auto ext = Napi::External<Program>::New(env, p.release(), [](Napi::Env, Program* q) { delete q; });
  ext.TypeTag(&kProgramTag);
  return ext;
}

// traceAbandon(): drops an open trace (after an exception in the traced code); a no-op otherwise.
MX_OP(traceAbandon) {
  if (Tracing()) jit::tracer::setTracingState(nullptr);
  return env.Undefined();
}

// traceGraph(step): the recorded graph as text (for tests and docs).
MX_OP(traceGraph) { return Napi::String::New(env, UnwrapProgram(info[0]).graph->toString()); }

// disposeProgram(step): frees the graph now (its baked constants included).
MX_OP(disposeProgram) {
  auto& p = UnwrapProgram(info[0]);
  p.code.reset();
  p.graph.reset();
  return env.Undefined();
}

// runStep(step, inputs: H[]): one replay; returns the graph's outputs.
MX_OP(runStep) {
  auto& p = UnwrapProgram(info[0]);
  auto inputs = Tensors(info, 1);
  if (inputs.size() != p.numInputs)
    throw JsError("runStep: the step takes " + std::to_string(p.numInputs) + " inputs, got " +
                  std::to_string(inputs.size()));
  jit::Stack stack(inputs.begin(), inputs.end());
  jit::InterpreterState(*p.code).run(stack);
  return WrapList(env, ToTensors(stack, 0, stack.size()));
}

// runDecodeLoop(step, carried: H[], fixed: H[], maxSteps, checkEvery, stackDim) →
//   { carried: H[], collected: H[], steps }
// Replays the step up to maxSteps times, feeding carried' back as carried. Each collected output is
// stacked over the steps along stackDim. The stop flag is read every checkEvery steps (one host sync);
// the loop then ends at the first step whose flag was true, and what later steps produced is dropped,
// so the result is the same for any checkEvery.
MX_OP(runDecodeLoop) {
  auto& p = UnwrapProgram(info[0]);
  auto carried = Tensors(info, 1);
  auto fixed = Tensors(info, 2);
  int64_t maxSteps = IRange(info, 3, 0, 1 << 30, "maxSteps");
  int64_t checkEvery = IRange(info, 4, 1, 1 << 30, "checkEvery");
  int64_t stackDim = I(info, 5);
  size_t nc = carried.size();
  if (nc + fixed.size() != p.numInputs)
    throw JsError("runDecodeLoop: the step takes " + std::to_string(p.numInputs) + " inputs, got " +
                  std::to_string(nc) + " carried + " + std::to_string(fixed.size()) + " fixed");
  if (p.numOutputs < nc + 1)
    throw JsError("runDecodeLoop: the step returns " + std::to_string(p.numOutputs) +
                  " outputs, fewer than the carried ones and a stop flag");
  size_t numCollected = p.numOutputs - nc - 1;
  at::NoGradGuard noGrad;
  std::vector<std::vector<at::Tensor>> collected(numCollected);
  std::vector<at::Tensor> stops;
  int64_t steps = 0;
  jit::Stack stack;
#if MX_CUDA_GRAPHS
  std::unique_ptr<CapturedStep> captured;
  bool graphs = CudaGraphsWanted(carried);
#endif
  for (int64_t s = 0; s < maxSteps; s++) {
    std::vector<at::Tensor> outs;
#if MX_CUDA_GRAPHS
    if (graphs && s >= 1) {
      if (!captured) {
        try {
          captured = std::make_unique<CapturedStep>(p, carried, fixed);
        } catch (const std::exception& e) {
          fprintf(stderr, "maxent-rlhf: CUDA-graph capture of the decode step failed (%s); decoding without it\n",
                  mx::ExceptionMessage(e).c_str());
          graphs = false;
        }
      }
      if (captured) {
        outs = captured->Run(carried);
        g_cudaGraphSteps++;
      }
    }
#endif
    if (outs.empty()) {
      stack.clear();
      for (auto& t : carried) stack.emplace_back(t);
      for (auto& t : fixed) stack.emplace_back(t);
      jit::InterpreterState(*p.code).run(stack);
      outs = ToTensors(stack, 0, stack.size());
    }
    for (size_t i = 0; i < nc; i++) carried[i] = outs[i];
    for (size_t i = 0; i < numCollected; i++) collected[i].push_back(outs[nc + i]);
    stops.push_back(outs[nc + numCollected]);
    steps = s + 1;
    if (steps % checkEvery == 0 || steps == maxSteps) {
      // One read of the flags since the last check; the first true one ends the loop there.
      auto recent = at::stack(at::TensorList(stops).slice(stops.size() - ((steps - 1) % checkEvery + 1)))
                        .reshape({-1})
                        .to(at::kCPU);
      auto* flags = recent.data_ptr<bool>();
      int64_t first = -1;
      for (int64_t j = 0; j < recent.numel(); j++)
        if (flags[j]) {
          first = j;
          break;
        }
      if (first >= 0) {
        steps = steps - recent.numel() + first + 1;
        break;
      }
    }
  }
  std::vector<at::Tensor> stacked;
  if (steps > 0)
    for (auto& column : collected) {
      column.resize(steps);
      stacked.push_back(at::stack(column, stackDim));
    }
  // carried' of the last kept step is only meaningful when no step was dropped; callers use the
  // collected outputs (and carried only when the loop ran to maxSteps without stopping early).
  auto out = Napi::Object::New(env);
  out.Set("carried", WrapList(env, carried));
  out.Set("collected", WrapList(env, stacked));
  out.Set("steps", Napi::Number::New(env, static_cast<double>(steps)));
  return out;
}

namespace mx {
bool CudaGraphsBuilt() {
#if MX_CUDA_GRAPHS
  return true;
#else
  return false;
#endif
}
int64_t CudaGraphSteps() { return g_cudaGraphSteps.load(); }

void RegisterGenerate(Napi::Env env, Napi::Object exports) {
#define REG(name) exports.Set(#name, Napi::Function::New(env, js_##name, #name))
  REG(indexCopy_);
  REG(traceBegin);
  REG(traceEnd);
  REG(traceAbandon);
  REG(traceGraph);
  REG(disposeProgram);
  REG(runStep);
  REG(runDecodeLoop);
#undef REG
}
}  // namespace mx
