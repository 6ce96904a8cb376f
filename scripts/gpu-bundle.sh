#!/usr/bin/env bash
# Packs what the GPU check (scripts/gpu-check.sh) needs on a bare GPU machine — one with a CUDA
# PyTorch 2.x but no Node, no npm registry and no network — into one archive (< 60 MiB):
#   node/          this Node 20 binary, and Node's C headers (include/node: node-gyp builds offline)
#   app/           the packed package (`npm pack`: dist, native sources, binding.gyp, build scripts)
#                  with its production dependencies, plus what the check runs from the repository:
#                  the TypeScript sources (src, scripts, bench), the test fixtures it reuses, tsx
#   gpu-check.sh   the check itself (unpacks nothing further; run it from the unpacked folder)
#
#   bash scripts/gpu-bundle.sh [OUT.tar.xz]        # default: maxent-rlhf-gpu-check.tar.xz
# On the GPU machine:
#   tar -xJf maxent-rlhf-gpu-check.tar.xz && bash maxent-rlhf-gpu-check/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
out=$(realpath -m "${1:-maxent-rlhf-gpu-check.tar.xz}")
limit=$((60 * 1024 * 1024))

say() { echo "[gpu-bundle] $*" >&2; }
node_bin=$(command -v node)
node_root=$(dirname "$(dirname "$(readlink -f "$node_bin")")")
[ -f "$node_root/include/node/node_api.h" ] || { say "Node's headers are not at $node_root/include/node"; exit 1; }
[ "$(node -p 'process.versions.node.split(".")[0]')" = 20 ] || say "warning: Node $(node --version), not 20"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
kit=$stage/maxent-rlhf-gpu-check
mkdir -p "$kit/node/bin" "$kit/node/include" "$kit/app"

say "Node $(node --version) and its headers"
cp "$(readlink -f "$node_bin")" "$kit/node/bin/node"
cp -r "$node_root/include/node" "$kit/node/include/node"

say "npm pack (compiles src/ to dist/)"
tarball=$(npm pack --silent --pack-destination "$stage" 2>/dev/null | tail -1)
tar -xzf "$stage/$tarball" -C "$kit/app" --strip-components=1
rm "$stage/$tarball"

say "production dependencies (npm ci --omit=dev, no install scripts)"
cp package-lock.json "$kit/app/"
(cd "$kit/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
# tsx (and its esbuild) runs the check's TypeScript; the rest is the repository's sources it imports.
for m in tsx esbuild @esbuild/linux-x64; do
  mkdir -p "$kit/app/node_modules/$(dirname "$m")"
  cp -r "node_modules/$m" "$kit/app/node_modules/$m"
done
cp -r src bench bin tsconfig.json "$kit/app/"
cp -r scripts/*.ts scripts/gpu scripts/gpu-check.sh "$kit/app/scripts/"
mkdir -p "$kit/app/scripts/reference" "$kit/app/test/models"
cp scripts/reference/*.py "$kit/app/scripts/reference/"
cp test/models/model-fixtures.ts "$kit/app/test/models/"
rm -rf "$kit/app/build"
cat >"$kit/gpu-check.sh" <<'EOF'
#!/usr/bin/env bash
# The GPU check from the bundle: this folder's Node, offline (see app/scripts/gpu-check.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$here/node/bin:$PATH" npm_config_nodedir="$here/node"
exec bash "$here/app/scripts/gpu-check.sh" "$@"
EOF
chmod +x "$kit/gpu-check.sh"
git -C "$repo" rev-parse HEAD >"$kit/COMMIT" 2>/dev/null || true

say "compressing"
tar -C "$stage" -cf - maxent-rlhf-gpu-check | xz -T0 -6 >"$out"
size=$(stat -c %s "$out")
say "$out: $((size / 1024 / 1024)) MiB ($size bytes; unpacked $(du -sm "$kit" | cut -f1) MiB)"
if [ "$size" -ge "$limit" ]; then
  say "too big: the bundle must stay under 60 MiB"
  exit 1
fi
