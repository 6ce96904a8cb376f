#!/usr/bin/env bash
# The GPU check (issue 12, docs/gpu.md): on a machine with an NVIDIA GPU and a CUDA libtorch,
#   1. finds the libtorch (LIBTORCH, else the one inside a pip-installed CUDA torch),
#   2. builds the addon against it and checks that it sees CUDA,
#   3. runs the GPT-NeoX parity test (our forward on cuda against the independent PyTorch reference),
#   4. runs a few RLOO steps of a pythia-160m-shaped model (random init, vocabulary 50304) on cuda,
#      printing each step's seconds, the memory plan's peak and the peak GPU memory nvidia-smi saw.
# About 5 minutes on one GPU (the build dominates). It stops with a clear message on a machine
# without CUDA. The CPU build in build/ is replaced; `bash scripts/build-addon.sh` restores it.
#
#   bash scripts/gpu-check.sh                    # LIBTORCH optional
#   LIBTORCH=/opt/libtorch bash scripts/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "gpu-check: $*" >&2
  exit 1
}
step() { echo; echo "== gpu-check: $*"; }

step "1/4 a GPU and a CUDA libtorch"
command -v nvidia-smi >/dev/null || fail "no nvidia-smi: this machine has no NVIDIA driver (the check needs a GPU)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader ||
  fail "nvidia-smi sees no GPU"
if [ -z "${LIBTORCH:-}" ]; then
  for py in python3 python; do
    command -v "$py" >/dev/null || continue
    dir=$("$py" -c 'import os, torch; print(os.path.dirname(torch.__file__) if torch.version.cuda else "")' 2>/dev/null || true)
    if [ -n "$dir" ]; then
      LIBTORCH=$dir
      break
    fi
  done
fi
[ -n "${LIBTORCH:-}" ] ||
  fail "no CUDA libtorch found: set LIBTORCH to an unpacked CUDA libtorch zip or to a pip CUDA torch's package folder (python -c 'import torch, os; print(os.path.dirname(torch.__file__))'); see docs/gpu.md"
[ -d "$LIBTORCH/include/torch" ] || fail "LIBTORCH=$LIBTORCH has no include/torch (headers): see docs/gpu.md"
ls "$LIBTORCH"/lib/libtorch_cuda.* >/dev/null 2>&1 ||
  fail "LIBTORCH=$LIBTORCH has no lib/libtorch_cuda.*: it is a CPU-only libtorch"
export LIBTORCH
echo "LIBTORCH=$LIBTORCH"

step "2/4 build the addon against it"
bash scripts/build-addon.sh
node bin/maxent-rlhf.mjs info
cuda=$(node bin/maxent-rlhf.mjs info --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).cudaAvailable?"yes":"no"))')
[ "$cuda" = yes ] || fail "the addon built against $LIBTORCH does not see CUDA (driver or CUDA runtime libraries missing?)"

step "3/4 GPT-NeoX parity on cuda (against the independent PyTorch reference)"
MAXENT_TEST_DEVICE=cuda npx vitest run test/models/gptneox-reference.test.ts
# The native decode loop on cuda (its CUDA-graph capture) against the eager loop and the reference.
MAXENT_TEST_DEVICE=cuda npx vitest run test/models/recorded-decode.test.ts

step "4/4 RLOO steps of a pythia-160m-shaped model on cuda"
out=$(mktemp)
peak=$(mktemp)
echo 0 >"$peak"
# The memory nvidia-smi reports for the GPU (the CUDA context and the caching allocator's reserve
# included), sampled every 0.2 s; the baseline is subtracted.
base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 | head -1)
(
  while :; do
    used=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 | head -1)
    [ "$used" -gt "$(cat "$peak")" ] && echo "$used" >"$peak"
    sleep 0.2
  done
) &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
timeout 300 node bin/run-ts.mjs scripts/measure-memory.ts 160m 4 --device cuda --steps 4 >"$out" ||
  fail "the RL steps on cuda failed (see above)"
kill $sampler 2>/dev/null || true
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").at(-1));
const gib = (b) => (b / 2 ** 30).toFixed(2) + " GiB";
console.log(`pythia-160m shape, RLOO k=2, 8 prompts x 2, ${r.plan.settings.promptTokens}-token prompts, ${r.plan.settings.responseTokens} new tokens, microBatchSize ${r.micro}, device ${r.device}`);
console.log(`step seconds: ${r.stepSeconds.map((s) => s.toFixed(2)).join(", ")} (the first includes CUDA warm-up)`);
console.log(`planned peak: ${gib(r.planned)} (${r.phase})`);
console.log(`peak GPU memory (nvidia-smi, above the baseline): ${gib((Number(process.argv[2]) - Number(process.argv[3])) * 2 ** 20)}`);
' "$out" "$(cat "$peak")" "$base"
echo
echo "gpu-check: passed"
