#!/usr/bin/env bash
# Idempotent project set-up, run by `npm test`, `npm run demo` and `npm run bench`:
#   1. system packages (Debian): libtorch + OpenBLAS, g++ and make (the addon build), libgloo-dev
#      (build-time headers for c10d's Gloo backend, distributed training), python3-torch (side-by-side
#      benchmarks and the independent reference script), chromium (dashboard browser tests);
#   2. npm dependencies (npm ci when package-lock.json changed);
#   3. the libtorch Node-API addon (rebuilt when its sources, LIBTORCH or the compiler flags changed).
# Each step is skipped when already done, so a set-up machine pays well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[setup] $*" >&2; }

missing_debs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
  done
}

install_system_packages() {
  local wanted=(python3-torch chromium g++ make)
  [ -z "${LIBTORCH:-}" ] && wanted=(libtorch-dev libopenblas0 libgloo-dev "${wanted[@]}")
  command -v dpkg-query >/dev/null || {
    if [ -z "${LIBTORCH:-}" ]; then
      say "this is not a Debian system (no dpkg/apt) and LIBTORCH is unset."
      say "Install libtorch >= 1.13 (https://pytorch.org, 'LibTorch' C++ zip) and run again with LIBTORCH=/path/to/libtorch."
      exit 1
    fi
    return 0
  }
  local need
  need=$(missing_debs "${wanted[@]}")
  [ -z "$need" ] && return 0
  if ! command -v apt-get >/dev/null; then
    say "missing packages: $need, and apt-get is unavailable. Install them, or set LIBTORCH=/path/to/libtorch."
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { say "missing packages: $need; run as root or install them: apt-get install $need"; exit 1; }
    sudo="sudo"
  fi
  say "installing Debian packages: $need (once)"
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/tmp/maxent-rlhf-apt.log 2>&1 || {
    $sudo apt-get update -q >>/tmp/maxent-rlhf-apt.log 2>&1
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >>/tmp/maxent-rlhf-apt.log 2>&1 || {
      tail -20 /tmp/maxent-rlhf-apt.log >&2; say "apt-get install failed (log: /tmp/maxent-rlhf-apt.log)"; exit 1; }
  }
}

install_npm_dependencies() {
  local hash stamp=node_modules/.maxent-rlhf-lock
  hash=$(sha256sum package-lock.json | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && return 0
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$hash" >"$stamp"
}

# build-addon.mjs is a no-op when the addon is newer than its sources and was built with the same
# libtorch and compiler flags; otherwise it rebuilds incrementally.
build_addon() {
  node scripts/build-addon.mjs
}

install_system_packages
install_npm_dependencies
build_addon
