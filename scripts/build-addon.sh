#!/usr/bin/env bash
# Builds the libtorch Node-API addon into build/Release/maxent_rlhf_torch.node.
# LIBTORCH=/path/to/libtorch builds against another libtorch (>= 1.13, CPU or CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
nodedir=$(dirname "$(dirname "$(command -v node)")")
args=(rebuild -j 2)
if [ -f "$nodedir/include/node/node_api.h" ]; then args+=("--nodedir=$nodedir"); fi
npx --no-install node-gyp "${args[@]}" >build-addon.log 2>&1 || { tail -40 build-addon.log >&2; echo "addon build failed (full log: build-addon.log)" >&2; exit 1; }
echo "built addon against libtorch $(node scripts/torch-flags.mjs version) ${LIBTORCH:+at $LIBTORCH}"
