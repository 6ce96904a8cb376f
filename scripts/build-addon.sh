#!/usr/bin/env bash
# Builds the libtorch Node-API addon (scripts/build-addon.mjs: incremental, offline, and a no-op when
# up to date). LIBTORCH=/path/to/libtorch builds against another libtorch (>= 1.13, CPU or CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node scripts/build-addon.mjs
