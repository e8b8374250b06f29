#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what is needed (Debian 12), builds everything, and runs every test:
#   1. the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, and the plugin's
#      process tests under valgrind memcheck (scripts/test-sanitizers.sh);
#   2. each libFuzzer target for FUZZ_SECONDS (default 30) (scripts/fuzz.sh);
#   3. the normal build and every test: unit, process, real-Netdata end-to-end, benchmarks smoke.
# QUICK=1 runs only step 3.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh --with-netdata
build=${BUILD_DIR:-build}
if [[ "${QUICK:-0}" != 1 ]]; then
  BUILD_DIR="$build" scripts/test-sanitizers.sh
  scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMQ_BUILD_TESTS=ON
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
