#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The demo: installs what is needed (Debian 12), builds, starts vernemq-sim with a scenario that
# refuses messages (scenarios/demo.yaml), installs vernemq.plugin and its alert with the
# project's own install rules into a temporary tree, and runs a private Netdata on loopback with
# them, the real stock health directory in place. It prints the dashboard URL; Ctrl-C stops
# everything and removes the temporary tree.
#
# Usage: ./demo.sh [--port PORT] [--no-build]
#   --port PORT  the dashboard's port (default 19999, or a free one when 19999 is taken)
#   --no-build   use the build in $BUILD_DIR (default build-demo) as it is: no apt, no cmake --build
#
# The demo has its own build directory (build-demo), so ./demo.sh then ./test.sh (which builds
# the tests in build/) work in either order. SIGTERM stops it like Ctrl-C (for scripts and CI).
set -euo pipefail
export CCACHE_NOHASHDIR=1  # the same sources in several build trees share one cache
cd "$(dirname "$0")"

port=""
build_it=1
while (($# > 0)); do
  case "$1" in
    --port) port=${2:?--port needs a value}; shift 2 ;;
    --no-build) build_it=0; shift ;;
    -h|--help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

build=${BUILD_DIR:-build-demo}
if ((build_it)); then
  scripts/install-deps.sh --with-netdata
  # Every cache option the demo depends on, so a directory configured otherwise is set right.
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMQ_BUILD_TESTS=OFF -DVMQ_BUILD_BENCH=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target vernemq.plugin vernemq-sim
fi

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -z "$port" ]]; then
  port=19999
  while port_taken "$port"; do port=$((20000 + RANDOM % 20000)); done
elif port_taken "$port"; then
  echo "demo.sh: port $port is taken" >&2
  exit 1
fi

work=$(mktemp -d /tmp/vernemq-demo-XXXXXX)
netdata_pid=""
sim_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [[ -n "$netdata_pid" ]] && kill -TERM "$netdata_pid" 2>/dev/null; then
    # Netdata stops its plugins on the way out; give it the time to.
    for _ in $(seq 100); do kill -0 "$netdata_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$netdata_pid" 2>/dev/null || true
  fi
  [[ -n "$sim_pid" ]] && kill -TERM "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
  echo "demo stopped" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The install, exactly as a user runs it, only into a temporary tree (DESTDIR).
DESTDIR="$work/dest" cmake --install "$build" >/dev/null
cache_dir() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
plugins="$work/dest$(cache_dir VMQ_NETDATA_PLUGINS_DIR)"
stock="$work/dest$(cache_dir VMQ_NETDATA_STOCK_CONFIG_DIR)"
user="$work/dest$(cache_dir VMQ_NETDATA_USER_CONFIG_DIR)"

"$build/sim/vernemq-sim" --scenario scenarios/demo.yaml >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do grep -q '^ready$' "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
url=$(awk 'NR==1 {print $2}' "$work/sim.out")
[[ -n "$url" ]] || { echo "demo.sh: vernemq-sim did not start:" >&2; cat "$work/sim.log" >&2; exit 1; }

# The user's job file, where Netdata's plugin looks first.
printf 'jobs:\n  - name: demo\n    url: %s\n' "$url" >"$user/vernemq.conf"
mkdir -p "$work/var/cache" "$work/var/lib" "$work/var/log" "$work/var/lock" "$work/var/home" "$work/var/registry"
printf '#!/bin/sh\necho "$@" >> "%s/notifications.log"\n' "$work" >"$work/notify.sh"
chmod +x "$work/notify.sh"
touch "$user/.opt-out-from-anonymous-statistics"
cat >"$user/netdata.conf" <<EOF
[global]
    run as user = $(id -un)
    hostname = vernemq-demo
[db]
    mode = ram
    update every = 1
[directories]
    config = $user
    stock config = $stock
    plugins = $plugins
    cache = $work/var/cache
    lib = $work/var/lib
    log = $work/var/log
    lock = $work/var/lock
    home = $work/var/home
    registry = $work/var/registry
    health config = $user/health.d
    stock health config = /usr/lib/netdata/conf.d/health.d
    web = /usr/share/netdata/web
[logs]
    error = $work/var/log/error.log
    access = none
    health = $work/var/log/health.log
    errors flood protection period = 0
    errors to trigger flood protection = 0
[web]
    bind to = 127.0.0.1
[registry]
    enabled = no
[ml]
    enabled = no
[health]
    enabled = yes
    run at least every seconds = 1
    script to execute on alarm = $work/notify.sh
[plugins]
    enable running new plugins = no
    proc = no
    diskspace = no
    cgroups = no
    tc = no
    idlejitter = no
    timex = no
    checks = no
    statsd = no
    netdata monitoring = no
    vernemq = yes
EOF

/usr/sbin/netdata -D -c "$user/netdata.conf" -W set web "default port" "$port" >"$work/netdata.out" 2>&1 &
netdata_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 150); do
  curl -fsS -o /dev/null "$base/api/v1/info" 2>/dev/null && break
  kill -0 "$netdata_pid" 2>/dev/null || { echo "demo.sh: netdata exited:" >&2; tail -20 "$work/netdata.out" "$work/var/log/error.log" >&2; exit 1; }
  sleep 0.1
done

cat <<EOF
vernemq-sim serves $url (scenario: scenarios/demo.yaml)
Netdata runs vernemq.plugin from $plugins
dashboard: $base/#menu_vernemq_demo;after=-300;before=0
  the "VerneMQ demo" section, chart "MQTT 5 PUBACK QoS 1 Sent by Reason in the Last Minute"
alert list: $base/#menu_vernemq_demo;after=-300;before=0;show_alarms=true
  vernemq_mqtt_puback_sent_reason_unsuccessful goes WARNING about 10 s after the start
  vernemq_cluster_member_not_running goes CRITICAL about 130 s after the start (the third
  node is cut off at 60 s; section "cluster") and CLEAR after it is back at 240 s
  (API: $base/api/v1/alarms)
Netdata's log: $work/var/log/error.log
Ctrl-C stops everything.
EOF

# `wait` returns as soon as a trapped signal arrives, so Ctrl-C is handled at once.
wait "$netdata_pid" || true
echo "demo.sh: netdata exited on its own; see $work/netdata.out" >&2
tail -20 "$work/var/log/error.log" >&2 || true
