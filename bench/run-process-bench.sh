#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Whole-process benchmark: vernemq.plugin with 1, 100, 500 and 1000 jobs at update_every 1,
# beside a Go collector using Prometheus' expfmt parser (go.d's approach), Python's
# prometheus_client, curl and a C floor, all in one run against nginx on loopback serving a
# generated VerneMQ body. Writes results.{md,json} and process-bench.png to OUT_DIR.
#
#   bench/run-process-bench.sh [--duration S] [--jobs 1,100,500,1000] [--go-jobs ...] [--sizes 1,10,50,149]
#
# Environment: BUILD_DIR (default build-bench), OUT_DIR (default $BUILD_DIR/bench-results).
# Installs the Debian packages it needs (nginx-light, golang-go,
# golang-github-prometheus-common-dev, python3-prometheus-client, gnuplot-nox, curl) when
# missing, with sudo when not root. Nothing is downloaded but Debian packages; the Go peer is
# built offline against /usr/share/gocode.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build-bench}
out=${OUT_DIR:-$build/bench-results}

packages=(g++ cmake make pkg-config libcurl4-openssl-dev libyaml-cpp-dev nlohmann-json3-dev libgtest-dev
          libgmock-dev libbenchmark-dev nginx-light golang-go golang-github-prometheus-common-dev
          python3 python3-prometheus-client gnuplot-nox curl gcc)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "building (Release) in $build" >&2
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DVMQ_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target vernemq.plugin vernemq-sim vmq-bench-body parse_bench tick_bench >/dev/null

peers="$build/bench/peers"
mkdir -p "$peers" "$out"
gcc -O2 -Wall -Wextra -o "$peers/vmq-floor" bench/peers/floor.c
gcc -O2 -Wall -Wextra -o "$peers/libcurl-rss" bench/peers/libcurl_rss.c -lcurl
gcc -O2 -Wall -Wextra -o "$peers/libcurl-paced" bench/peers/libcurl_paced.c -lcurl
(cd bench/peers/go && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
   GOCACHE="$root/$peers/gocache" go build -o "$root/$peers/vmq-peer-go" .)

echo "Google Benchmark: parser, window, writer" >&2
"$build/bench/parse_bench" --benchmark_min_time=0.5 | tee "$out/parse_bench.txt"
"$build/bench/tick_bench" --benchmark_min_time=0.5 | tee "$out/tick_bench.txt"

exec /usr/bin/python3 bench/process_bench.py --build "$build" --go-peer "$peers/vmq-peer-go" \
  --floor "$peers/vmq-floor" --libcurl-rss "$peers/libcurl-rss" --libcurl-paced "$peers/libcurl-paced" \
  --python-peer bench/peers/python_peer.py \
  --out "$out" "$@"
