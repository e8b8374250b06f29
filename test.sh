#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what is needed (Debian 12), builds everything, and runs every test:
#   0. the C++ files' format (scripts/check-format.sh, .clang-format), before anything is built;
#   1. the normal build (build/, tests and benchmarks on), once;
#   2. the real-Netdata e2e tests (twice as many at once: they mostly wait), beside the
#      AddressSanitizer + UndefinedBehaviorSanitizer build (build-sanitize/) and each libFuzzer
#      target for FUZZ_SECONDS (default 20) (scripts/fuzz.sh, build-fuzz/), both at a lower
#      priority;
#   3. the whole suite under ASan + UBSan, and the plugin's process tests under valgrind
#      memcheck, reusing build/ (scripts/test-sanitizers.sh);
#   4. every other test of the normal build, in parallel: unit, process and bench smoke.
# QUICK=1 runs the normal build, then step 4, then the e2e tests.
# Each configuration has its own build directory and sets every
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
# minutes for 10-minute lookups): twice as many at once, and, in the full run, beside the
# sanitizer build and the fuzzers, which run at a lower priority, so the waiting costs no wall
# time. No test that waits for ticks runs beside them: the sanitizer tests and the normal
# build's tests start once the e2e tier is done.
e2e() { ctest --test-dir "$build" --output-on-failure -j"$((jobs * 2))" -L e2e; }
if [[ "${QUICK:-0}" != 1 ]]; then
  e2e_log=$(mktemp /tmp/vernemq-e2e-XXXXXX)
  ctest --test-dir "$build" --output-on-failure -j"$((jobs * 2))" -L e2e >"$e2e_log" 2>&1 &
  e2e_pid=$!
  trap 'kill "$e2e_pid" 2>/dev/null || true' EXIT
  BUILD_DIR="$build" JOBS="$jobs" VMQ_BUILD_NICE=15 scripts/test-sanitizers.sh --build-only
  nice -n 15 scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
  e2e_rc=0
  wait "$e2e_pid" || e2e_rc=$?
  trap - EXIT
  echo "== real-Netdata (e2e) tests, run beside the sanitizer build and the fuzzers" >&2
  cat "$e2e_log"
  rm -f "$e2e_log"
  ((e2e_rc == 0)) || exit "$e2e_rc"
  BUILD_DIR="$build" JOBS="$jobs" VMQ_BUILT=1 scripts/test-sanitizers.sh
fi
ctest --test-dir "$build" --output-on-failure -j"$jobs" -LE e2e
[[ "${QUICK:-0}" != 1 ]] || e2e
