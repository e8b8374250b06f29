#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what is needed (Debian 12), builds everything, and runs every test:
#   0. the C++ files' format (scripts/check-format.sh, .clang-format), before anything is built;
#   1. the normal build (build/, tests and benchmarks on), once;
#   2. the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-sanitize/),
#      and the plugin's process tests under valgrind memcheck, reusing build/
#      (scripts/test-sanitizers.sh);
#   3. each libFuzzer target for FUZZ_SECONDS (default 20) (scripts/fuzz.sh, build-fuzz/);
#   4. every test of the normal build, in parallel: unit, process and bench smoke; the
#      real-Netdata e2e tests (twice as many at once: they mostly wait) run from step 2 on,
#      beside steps 2 and 3, whose builds and fuzzers run at a lower priority (QUICK: after the
#      others).
# QUICK=1 runs only steps 1 and 4. Each configuration has its own build directory and sets every
# cache option it depends on, so ./demo.sh (build-demo/) before or after this changes nothing.
set -euo pipefail
export CCACHE_NOHASHDIR=1  # the same sources in several build trees share one cache
cd "$(dirname "$0")"
scripts/install-deps.sh --with-netdata
scripts/check-format.sh
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMQ_BUILD_TESTS=ON -DVMQ_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$jobs"
# The real-Netdata tests mostly wait for Netdata's alert evaluations (the alerts test waits 13
# minutes for 10-minute lookups): twice as many at once, and, in the full run, beside steps 2
# and 3, whose builds and fuzzers run at a lower priority, so the waiting costs no wall time and
# the tests' own processes get the CPU when they need it.
e2e() { ctest --test-dir "$build" --output-on-failure -j"$((jobs * 2))" -L e2e; }
if [[ "${QUICK:-0}" != 1 ]]; then
  e2e_log=$(mktemp /tmp/vernemq-e2e-XXXXXX)
  ctest --test-dir "$build" --output-on-failure -j"$((jobs * 2))" -L e2e >"$e2e_log" 2>&1 &
  e2e_pid=$!
  trap 'kill "$e2e_pid" 2>/dev/null || true' EXIT
  # Only the sanitizer *build* is lowered: its tests keep their priority (some wait for ticks).
  BUILD_DIR="$build" JOBS="$jobs" VMQ_BUILT=1 VMQ_BUILD_NICE=15 scripts/test-sanitizers.sh
  nice -n 15 scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
fi
ctest --test-dir "$build" --output-on-failure -j"$jobs" -LE e2e
if [[ "${QUICK:-0}" != 1 ]]; then
  e2e_rc=0
  wait "$e2e_pid" || e2e_rc=$?
  trap - EXIT
  echo "== real-Netdata (e2e) tests, run beside the steps above" >&2
  cat "$e2e_log"
  rm -f "$e2e_log"
  exit "$e2e_rc"
fi
e2e
