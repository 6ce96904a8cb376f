#!/usr/bin/env bash
# The packaging test (`npm run test:package`; .ci/run runs it once, after the suite): packs the
# project as npm would publish it, installs the tarball into an empty folder — its runtime
# dependencies from npm's cache where it can, none of the project's dev dependencies, the addon built
# by the package's own install script — and uses it as a new user would: `npx maxent-rlhf info` and
# `doctor`, an ESM consumer script checked against python3-torch and hand-computed values, a
# TypeScript consumer type-checked against the shipped .d.ts files, the README's examples,
# `npx maxent-rlhf demo --smoke`, and the dashboard over the demo's runs.
#
# It runs outside vitest because the install-time addon build is most of its cost (≈ 2 minutes on
# 2 cores) and must run once, not per worker; everything else takes well under a minute.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/maxent-rlhf-package-XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
say() { echo "[package] $*"; }
ok() { say "ok   $*"; passed=$((passed + 1)); }
fail() { say "FAIL $*"; failed=$((failed + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. Pack (prepack compiles dist/).
t=$(now)
(cd "$repo" && npm pack --json --pack-destination "$work" --loglevel=error >"$work/pack.json")
read -r tarball size unpacked count < <(node -e '
  const [p] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(p.filename, p.size, p.unpackedSize, p.entryCount);' "$work/pack.json")
say "packed $tarball: $((size / 1024)) KiB, $((unpacked / 1024)) KiB unpacked, $count files ($(since "$t") s with the build)"
listing=$(tar -tzf "$work/$tarball" | sed 's#^package/##')
missing=""
for f in package.json README.md dist/index.js dist/index.d.ts dist/bin.js dist/api/tensor.js dist/api/models.d.ts \
  dist/dashboard/public/index.html binding.gyp native/src/pickle.cc scripts/build-addon.mjs scripts/libtorch.mjs \
  scripts/torch-flags.mjs docs/api/README.md; do
  grep -qx "$f" <<<"$listing" || missing="$missing $f"
done
stray=$(grep -E '^(src|test|bench|build|node_modules|runs)/' <<<"$listing" | head -3 || true)
if [ -z "$missing" ] && [ -z "$stray" ]; then ok "tarball holds dist/, the addon sources and docs, and no src/, test/ or build output"
else fail "tarball contents: missing [$missing ] stray [$stray]"; fi

# 2. Install into an empty project, which approves the package's install script (npm >= 11 asks
# projects to list the dependencies whose scripts may run in "allowScripts").
consumer="$work/consumer"
mkdir -p "$consumer"
printf '{ "name": "consumer", "private": true, "type": "module", "allowScripts": { "maxent-rlhf": true } }\n' \
  >"$consumer/package.json"
t=$(now)
if (cd "$consumer" && npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "$work/$tarball" >"$work/install.log" 2>&1); then
  ok "npm install of the tarball, addon built at install ($(since "$t") s)"
else
  tail -30 "$work/install.log"
  fail "npm install of the tarball"
  echo "package: $passed passed, $failed failed"
  exit 1
fi
installed="$consumer/node_modules/maxent-rlhf"
if [ -f "$installed/build/Release/maxent_rlhf_torch.node" ] && [ ! -e "$consumer/node_modules/tsx" ] &&
  [ ! -e "$consumer/node_modules/vitest" ]; then ok "the addon is in the installed package; no dev dependency was installed"
else fail "installed package: addon present? dev dependencies absent?"; fi

# 3. The command line.
cd "$consumer"
if out=$(npx --no-install maxent-rlhf info 2>&1) && grep -q "^libtorch " <<<"$out"; then ok "npx maxent-rlhf info: $(head -1 <<<"$out" | tr -s ' ')"
else echo "$out"; fail "npx maxent-rlhf info"; fi
if out=$(npx --no-install maxent-rlhf doctor 2>&1); then ok "npx maxent-rlhf doctor: no failed check"
else echo "$out"; fail "npx maxent-rlhf doctor"; fi

# 4. An ESM consumer through the public API, checked against python3-torch and by hand.
cp "$repo/test/package/consumer.mjs" "$consumer/"
mkdir -p "$work/models"
if out=$(node consumer.mjs "$repo/scripts/reference/gptneox_reference.py" "$work/models" 2>&1); then
  ok "ESM consumer: $(grep -c '^ok' <<<"$out") checks"
  sed 's/^/[package]        /' <<<"$out"
else echo "$out"; fail "ESM consumer"; fi

# 5. A TypeScript consumer, type-checked against the shipped declarations (no skipLibCheck).
cp "$repo/test/package/consumer-types.ts" "$repo/test/package/tsconfig.json" "$consumer/"
mkdir -p "$consumer/node_modules/@types"
cp -r "$repo/node_modules/@types/node" "$consumer/node_modules/@types/"
[ -e "$consumer/node_modules/undici-types" ] || cp -r "$repo/node_modules/undici-types" "$consumer/node_modules/"
if out=$(node "$repo/node_modules/typescript/bin/tsc" -p "$consumer/tsconfig.json" 2>&1); then ok "TypeScript consumer type-checks against dist/*.d.ts"
else echo "$out" | head -20; fail "TypeScript consumer type-check"; fi

# 6. The README's examples, against the installed package (tsx from the checkout only strips types).
node "$repo/bin/run-ts.mjs" "$repo/scripts/readme-examples.ts" "$consumer/readme" >"$work/examples.txt"
while read -r example; do
  if out=$(node "$repo/node_modules/tsx/dist/cli.mjs" "$example" 2>&1); then ok "README example $(head -1 "$example" | sed 's#// ##')"
  else echo "$out" | tail -15; fail "README example $(head -1 "$example")"; fi
done <"$work/examples.txt"

# 7. The whole pipeline, smoke-sized.
t=$(now)
if out=$(npx --no-install maxent-rlhf demo --smoke --out "$work/demo" 2>&1) && [ -s "$work/demo/report.html" ]; then
  ok "npx maxent-rlhf demo --smoke wrote report.html ($(since "$t") s)"
else echo "$out" | tail -20; fail "npx maxent-rlhf demo --smoke"; fi

# 8. The dashboard serves its page and scripts from dist/ (assets copied by the build) over the demo.
"$consumer/node_modules/.bin/maxent-rlhf" dashboard "$work/demo" --port 0 >"$work/dashboard.log" 2>&1 &
dashboard=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://[^ ]*' "$work/dashboard.log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.2
done
if [ -n "$url" ] && node --input-type=module -e '
  const base = process.argv[1];
  const paths = ["/", "/assets/dashboard.js", "/assets/dashboard.css", "/vendor/uplot/uPlot.iife.min.js", "/api/runs"];
  const res = await Promise.all(paths.map((p) => fetch(base.replace(/\/$/, "") + p)));
  const runs = await res[4].json();
  const bad = paths.filter((p, i) => res[i].status !== 200);
  if (bad.length || !(Array.isArray(runs) ? runs : runs.runs ?? []).length) { console.error("bad:", bad, runs); process.exit(1); }
' "$url"; then ok "npx maxent-rlhf dashboard serves its page, assets and the demo's runs ($url)"
else cat "$work/dashboard.log"; fail "npx maxent-rlhf dashboard"; fi
kill "$dashboard" 2>/dev/null || true
wait "$dashboard" 2>/dev/null || true

echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
