#!/usr/bin/env bash
# Builds the libtorch Node-API addon into build/Release/maxent_rlhf_torch.node, incrementally
# (configure + build, not rebuild: the previous addon stays usable until the new one is linked).
# LIBTORCH=/path/to/libtorch builds against another libtorch (>= 1.13, CPU or CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
nodedir=$(dirname "$(dirname "$(command -v node)")")
extra=()
if [ -f "$nodedir/include/node/node_api.h" ]; then extra+=("--nodedir=$nodedir"); fi
want="${LIBTORCH:-system}"
# The compiler flags depend on what is installed (e.g. Gloo's headers enable c10d): reconfigure when they change.
flags=$(node scripts/torch-flags.mjs cflags)
if [ ! -f build/Makefile ] || [ "$(cat build/.libtorch 2>/dev/null)" != "$want" ] || [ binding.gyp -nt build/Makefile ] ||
  [ "$(cat build/.cflags 2>/dev/null)" != "$flags" ]; then
  npx --no-install node-gyp configure "${extra[@]}" >build-addon.log 2>&1 || { tail -40 build-addon.log >&2; echo "addon configure failed (log: build-addon.log)" >&2; exit 1; }
fi
npx --no-install node-gyp build -j 2 "${extra[@]}" >>build-addon.log 2>&1 || { tail -40 build-addon.log >&2; echo "addon build failed (full log: build-addon.log)" >&2; exit 1; }
echo "$want" >build/.libtorch
echo "$flags" >build/.cflags
echo "built addon against libtorch $(node scripts/torch-flags.mjs version)${LIBTORCH:+ at $LIBTORCH}; $(node scripts/torch-flags.mjs distributed)"
