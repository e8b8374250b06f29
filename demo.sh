#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The demo: installs what is needed (Debian 12), builds, starts vernemq-sim with a scenario that
# sends unsuccessful PUBACKs, and runs vernemq.plugin against it, printing what it sends Netdata.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMQ_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target vernemq.plugin vernemq-sim

workdir=$(mktemp -d)
cleanup() {
  [[ -n "${sim_pid:-}" ]] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

"$build/sim/vernemq-sim" --scenario scenarios/demo.yaml >"$workdir/sim.out" 2>"$workdir/sim.err" &
sim_pid=$!
for _ in $(seq 100); do grep -q '^ready$' "$workdir/sim.out" 2>/dev/null && break; sleep 0.1; done
url=$(awk 'NR==1 {print $2}' "$workdir/sim.out")
printf 'jobs:\n  - name: demo\n    url: %s\n' "$url" >"$workdir/vernemq.conf"
echo "vernemq-sim serves $url; vernemq.plugin output follows (Ctrl-C to stop)" >&2
"$build/vernemq.plugin" 1 --config "$workdir/vernemq.conf"
