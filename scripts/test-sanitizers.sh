#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# 1. Builds the whole suite with AddressSanitizer + UndefinedBehaviorSanitizer (its own build
#    directory, -fno-omit-frame-pointer, every report fatal) and runs ctest, except the tests
#    labelled e2e (a real Netdata) and bench. The plugin and the simulator the process tests
#    run are sanitised too, so the hostile-input corpus runs against an ASan/UBSan plugin.
# 2. Runs the plugin's process tests once with the plugin under valgrind memcheck (a normal
#    build: valgrind cannot run ASan binaries): any memcheck error or definite leak makes the
#    plugin exit 99, which fails the test that ran it.
# Usage: scripts/test-sanitizers.sh [--build-only]   (env: SANITIZE_BUILD_DIR, BUILD_DIR, JOBS;
#        VMQ_BUILT=1: BUILD_DIR is already configured and built by test.sh, only reused;
#        VMQ_BUILD_NICE: a lower priority for the build alone). --build-only: step 1's build, no test.
set -euo pipefail
cd "$(dirname "$0")/.."
san_build=${SANITIZE_BUILD_DIR:-build-sanitize}
build=${BUILD_DIR:-build}
jobs=${JOBS:-2}

san_flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
echo "== ASan+UBSan build in $san_build" >&2
cmake -S . -B "$san_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMQ_BUILD_TESTS=ON -DVMQ_BUILD_BENCH=OFF -DVMQ_BUILD_E2E_TESTS=OFF \
  -DCMAKE_CXX_FLAGS="$san_flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
nice -n "${VMQ_BUILD_NICE:-0}" cmake --build "$san_build" -j"$jobs"
[[ "${1:-}" == --build-only ]] && exit 0

echo "== ctest under ASan+UBSan (without e2e and bench)" >&2
# halt_on_error: the first report fails the test; detect_leaks: LeakSanitizer at every exit
# (the plugin and the simulator included). VMQ_NO_RSS_LIMITS: ASan's shadow memory makes RSS
# bounds meaningless; the hostile test keeps them for the normal build.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export VMQ_NO_RSS_LIMITS=1
ctest --test-dir "$san_build" --output-on-failure -j"$jobs" -LE 'e2e|bench'
unset ASAN_OPTIONS UBSAN_OPTIONS VMQ_NO_RSS_LIMITS

echo "== plugin process tests with the plugin under valgrind memcheck ($build)" >&2
if [[ "${VMQ_BUILT:-0}" != 1 ]]; then
  # The same options as test.sh, so the two never reconfigure each other's directory.
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMQ_BUILD_TESTS=ON -DVMQ_BUILD_BENCH=ON >/dev/null
  cmake --build "$build" -j"$jobs" --target vernemq.plugin vernemq-sim plugin_process_test
fi
VMQ_PLUGIN_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=no" \
  "$build/tests/plugin_process_test"
echo "sanitizers and valgrind: clean" >&2
