#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer targets in fuzz/ with clang (-fsanitize=fuzzer,address,undefined) in
# their own build directory and runs each for SECONDS (default 60), seeded from the project's
# own fixtures, scenarios and configuration. Exits non-zero when any target finds a crash; the
# crashing input is left in $BUILD/artifacts/.
# Usage: scripts/fuzz.sh [SECONDS]     (env: FUZZ_BUILD_DIR, FUZZ_JOBS)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
root=$PWD

cmake -S fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2

# Seeds: the project's own inputs. The corpus directories keep what the fuzzer learns between
# runs (they live in the build directory, never in the repo).
seed() {  # seed TARGET FILES...
  local dir="$build/corpus/$1"
  shift
  mkdir -p "$dir"
  for f in "$@"; do [[ -f "$f" ]] && cp -n "$f" "$dir/" 2>/dev/null || true; done
}
seed prometheus_text tests/fixtures/*.txt
seed config conf.d/vernemq.conf scenarios/*.yaml
seed netdata_writer
printf 'x\x01mqtt_puback_sent_reason\x01MQTT 5 PUBACK\x01packets\x01mqtt publish\x01vernemq.x\x01VerneMQ@10.0.0.1\x01success\x01not_authorized' \
  >"$build/corpus/netdata_writer/seed-basic"
printf '\x05\x01job a=b\x01id\x01t\x27it"le\x01u\x01f\x01c\x01node \xc3\xa9\x0a\x01a b\x01a=b\x01\x01' \
  >"$build/corpus/netdata_writer/seed-hostile"
seed job_charts
i=0
for f in tests/fixtures/*.txt; do
  # Two scrapes of the same body, a failure, and the body again: a baseline then deltas.
  { printf '\x00\x00'; cat "$f"; printf '\n#SCRAPE\n'; cat "$f"; printf '\n#SCRAPE\n!FAIL\n#SCRAPE\n'; cat "$f"; } \
    >"$build/corpus/job_charts/seed-$i"
  i=$((i + 1))
done

seed cluster_json
# A mode byte (source = byte % 5, HTTP status, small limits, URL mode), then a body or URL.
printf '\x00[{"VerneMQ@127.0.0.1":{"num_online":2,"num_offline":1,"version":"2.0.1","mystatus":[{"VerneMQ@127.0.0.1":true},{"B@h":false}],"listeners":[{"type":"mqtt","status":"running","ip":"127.0.0.1","port":1883,"mountpoint":[],"max_conns":10000}]}}]' \
  >"$build/corpus/cluster_json/seed-status"
printf '\x09{"status":"DOWN","reasons":["Node has not joined cluster","Listeners are not ready: [mqtt]"]}' \
  >"$build/corpus/cluster_json/seed-health-down"
printf '\x03{"table":[{"Node":"A@h","Running":true},{"Node":"B@h","Running":false}],"type":"table"}' \
  >"$build/corpus/cluster_json/seed-cluster-show"
printf '\x84[{"type":"table","table":[{"type":"mqtt","status":"running","address":"0.0.0.0","port":"1883","max_conns":"infinity","active_conns":9,"all_conns":9}]}]' \
  >"$build/corpus/cluster_json/seed-listener-show"
printf '\x60http://user:pw@127.0.0.1:8888/metrics?x=1' >"$build/corpus/cluster_json/seed-url"
printf '\x61http://127.0.0.1:9999/health' >"$build/corpus/cluster_json/seed-url-override"

mkdir -p "$build/artifacts"
status=0
for t in prometheus_text job_charts config netdata_writer cluster_json; do
  echo "== fuzz_$t for ${seconds}s" >&2
  dict=()
  [[ -f fuzz/$t.dict ]] && dict=(-dict="fuzz/$t.dict")
  if ! "$build/fuzz_$t" "$build/corpus/$t" "${dict[@]}" -max_total_time="$seconds" -max_len=65536 \
      -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      >"$build/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t FOUND A PROBLEM; see $build/fuzz_$t.log and $build/artifacts/" >&2
    tail -n 40 "$build/fuzz_$t.log" >&2
    status=1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|cov: ' "$build/fuzz_$t.log" | tail -n 3 >&2 || true
done
exit $status
