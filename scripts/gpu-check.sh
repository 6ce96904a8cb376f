#!/usr/bin/env bash
# The GPU check (docs/gpu.md): on a machine with an NVIDIA GPU and a CUDA PyTorch 2.x — from a
# checkout, or from the offline bundle of scripts/gpu-bundle.sh on a machine with no Node and no
# network — it
#   1. finds the libtorch (LIBTORCH, else the one inside the machine's pip torch) and the Python
#      that has that torch (MAXENT_PYTHON, else python3),
#   2. builds the addon against it (offline: Node's headers come with Node or the bundle),
#   3. GPT-NeoX parity on cuda against the independent float64 PyTorch reference,
#   4. RLOO steps of a pythia-160m shape (random init, vocabulary 50304): each step's seconds, the
#      memory plan's peak and the peak GPU memory nvidia-smi saw,
#   5. bf16 (mixed-precision) RLOO steps of a pythia-70m shape, the same figures,
#   6. KV-cached sampling throughput, ours against the machine's PyTorch on the same model,
#   7. a 1-rank NCCL process group.
# Budget: 8 minutes on one GPU (the addon build dominates). The build in build/ is replaced;
# `bash scripts/build-addon.sh` restores the default one.
#
# Without a GPU (no nvidia-smi, or MAXENT_GPU_CHECK_DEVICE=cpu) the same flow runs on the CPU with a
# CPU torch (smaller shapes, Gloo for the process group): a dry run of everything but CUDA itself.
#
#   bash scripts/gpu-check.sh
#   LIBTORCH=/opt/libtorch MAXENT_PYTHON=/opt/venv/bin/python bash scripts/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

fail() {
  echo "gpu-check: $*" >&2
  exit 1
}
step() {
  echo
  echo "== gpu-check [$((SECONDS - start)) s]: $*"
}
run_ts() { node bin/run-ts.mjs "$@"; }
# The packed package's command in the bundle (dist/bin.js), the TypeScript CLI in a checkout.
cli() { if [ -f dist/bin.js ]; then node dist/bin.js "$@"; else node bin/maxent-rlhf.mjs "$@"; fi; }

step "1/7 the device, the libtorch and its Python"
device=${MAXENT_GPU_CHECK_DEVICE:-}
if [ -z "$device" ]; then
  if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then device=cuda; else device=cpu; fi
fi
if [ "$device" = cuda ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || fail "nvidia-smi sees no GPU"
else
  echo "no GPU (or MAXENT_GPU_CHECK_DEVICE=cpu): the whole flow runs on the CPU, with smaller shapes"
fi
command -v node >/dev/null || fail "no node on PATH: run the bundle's gpu-check.sh, which brings Node 20"
echo "Node $(node --version)"
python=${MAXENT_PYTHON:-}
if [ -z "$python" ]; then
  for py in python3 python; do
    if command -v "$py" >/dev/null && "$py" -c 'import torch' 2>/dev/null; then
      python=$(command -v "$py")
      break
    fi
  done
fi
[ -n "$python" ] || fail "no Python with torch (set MAXENT_PYTHON=/path/to/python)"
"$python" -c 'import torch, sys; print(f"{sys.executable}: torch {torch.__version__}, CUDA {torch.version.cuda}, GPU available {torch.cuda.is_available()}")'
export MAXENT_PYTHON=$python
if [ -z "${LIBTORCH:-}" ]; then
  LIBTORCH=$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
fi
[ -d "$LIBTORCH/include/torch" ] || fail "LIBTORCH=$LIBTORCH has no include/torch (headers): see docs/gpu.md"
if [ "$device" = cuda ]; then
  ls "$LIBTORCH"/lib/libtorch_cuda.* >/dev/null 2>&1 || fail "LIBTORCH=$LIBTORCH has no lib/libtorch_cuda.*: it is a CPU-only libtorch"
fi
export LIBTORCH
echo "LIBTORCH=$LIBTORCH"

step "2/7 build the addon against it"
node scripts/build-addon.mjs
grep -ci 'warning' build-addon.log | sed 's/^/compiler warnings: /' || true
cli info
cli doctor || true
if [ "$device" = cuda ]; then
  cuda=$(cli info --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).cudaAvailable?"yes":"no"))')
  [ "$cuda" = yes ] || fail "the addon built against $LIBTORCH does not see CUDA (driver or CUDA runtime libraries missing?)"
fi

step "3/7 GPT-NeoX parity on $device (against the independent float64 PyTorch reference)"
run_ts scripts/gpu/checks.ts parity "$device"
# The native decode loop on the device against the eager loop: the interpreter, then (on cuda) the
# opt-in CUDA-graph capture (a failed capture warns "CUDA-graph capture … failed" and falls back).
run_ts scripts/gpu/checks.ts decode "$device"
MAXENT_CUDA_GRAPHS=1 run_ts scripts/gpu/checks.ts decode "$device"

# Peak GPU memory nvidia-smi reports while a command runs (the CUDA context and the caching
# allocator's reserve included), sampled every 0.2 s, above the memory used before it started;
# "-" without a GPU. The command's own output goes to the file $1.
with_peak() {
  local peak base sampler out=$1
  shift
  peak=$(mktemp)
  if [ "$device" != cuda ]; then
    "$@" >"$out"
    echo "-"
    return
  fi
  base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 | head -1)
  echo "$base" >"$peak"
  (
    while :; do
      used=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 | head -1)
      [ "$used" -gt "$(cat "$peak")" ] && echo "$used" >"$peak"
      sleep 0.2
    done
  ) &
  sampler=$!
  "$@" >"$out" || { kill "$sampler" 2>/dev/null; return 1; }
  kill "$sampler" 2>/dev/null || true
  echo $(($(cat "$peak") - base))
}

report_steps() { # $1: measure-memory's JSON line, $2: peak MiB above the baseline (or -)
  node -e '
const r = JSON.parse(process.argv[1]);
const gib = (b) => (b / 2 ** 30).toFixed(2) + " GiB";
console.log(`${r.size} shape, RLOO k=2, 8 prompts x 2, ${r.plan.settings.promptTokens}-token prompts, ${r.plan.settings.responseTokens} new tokens, microBatchSize ${r.micro}, ${r.dtype}, device ${r.device}`);
console.log(`step seconds: ${r.stepSeconds.map((s) => s.toFixed(2)).join(", ")} (the first includes warm-up)`);
console.log(`planned peak: ${gib(r.planned)} (${r.phase})`);
if (process.argv[2] !== "-") console.log(`peak GPU memory (nvidia-smi, above the baseline): ${gib(Number(process.argv[2]) * 2 ** 20)}`);
else console.log(`peak resident memory (VmHWM, above the start): ${gib(r.measured)}`);
' "$1" "$2"
}

rl_steps() { # size micro steps dtype
  local out peak
  out=$(mktemp)
  peak=$(with_peak "$out" timeout 300 node bin/run-ts.mjs scripts/measure-memory.ts "$1" "$2" --device "$device" --steps "$3" --dtype "$4") ||
    fail "the RL steps ($1, $4) on $device failed (see above)"
  peak=$(echo "$peak" | tail -1)
  report_steps "$(tail -1 "$out")" "$peak"
}

if [ "$device" = cuda ]; then
  step "4/7 RLOO steps of a pythia-160m shape on cuda"
  rl_steps 160m 4 4 float32
  step "5/7 bf16 RLOO steps of a pythia-70m shape on cuda"
  rl_steps 70m 4 3 bfloat16
  sample_shape=pythia-160m
else
  step "4/7 RLOO steps of a pythia-70m shape on cpu"
  rl_steps 70m 4 2 float32
  step "5/7 bf16 RLOO steps of a pythia-70m shape on cpu"
  rl_steps 70m 4 2 bfloat16
  sample_shape=pythia-70m
fi

step "6/7 KV-cached sampling, ours against $python's PyTorch ($sample_shape shape)"
run_ts scripts/gpu/checks.ts sampling "$device" "$sample_shape"

step "7/7 a 1-rank process group ($([ "$device" = cuda ] && echo NCCL || echo Gloo))"
if [ "$device" = cpu ] && ! node -e 'process.exit(require("./build/Release/maxent_rlhf_torch.node").distBackends().includes("gloo") ? 0 : 1)'; then
  echo "skipped: this libtorch ships no Gloo headers, so the addon has no Gloo backend on CPU (docs/distributed.md)"
else
  run_ts scripts/gpu/checks.ts process-group "$device"
fi

echo
echo "gpu-check: passed on $device in $((SECONDS - start)) s"
