#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whole-process benchmark of vernemq.plugin beside its peers, in one run on one machine.

Started by bench/run-process-bench.sh (which installs the packages and builds everything); see
BENCHMARKS.md for what it measures and why. Standard library only.

Every subject runs as a child process against nginx on loopback serving a generated VerneMQ
body. A paced run lets the subject scrape at every whole second for a warm-up, then measures a
window of whole seconds that starts and ends at a half second (when every subject is idle):
  - CPU: the sum over the process's threads of /proc/PID/task/*/schedstat (nanoseconds on CPU),
    read at both ends of the window, divided by the scrapes seen in it;
  - peak RSS: VmHWM from /proc/PID/status at the end;
  - ticks: every scrape the subject reports on stdout (the plugin's BEGIN lines, the peers'
    SCRAPE lines) is timestamped as it is read, and belongs to its job's due time before it (the
    whole second, plus the job's phase for the plugin, which spreads its jobs over the second);
    a job keeps a due time of the window when a scrape arrived for it (read until 0.9 s after
    the window); lateness is the arrival time after the due time.
A back-to-back run makes N scrapes as fast as it can and takes CPU and peak RSS from wait4();
(CPU(N) - CPU(1)) / (N - 1) removes the start-up cost.
"""
import argparse
import json
import math
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# ---------------------------------------------------------------------------------------------
# helpers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu_ns(pid):
    """Nanoseconds on CPU of every live thread of pid."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that just ended
    return total


def proc_status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------------------------
# the web server and the endpoints


# A node's system_wallclock sample, its value served by nginx as the current time (see Nginx).
WALLCLOCK_LINE = re.compile(rb"^([A-Za-z_:]*system_wallclock\{[^}]*\}) [0-9]+$", re.M)


class Nginx:
    """nginx (Debian nginx-light) on a loopback port with its own config in a temp dir."""

    def __init__(self, workdir, files):
        self.port = free_port()
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(os.path.join(self.dir, "www", "live"))
        os.chmod(workdir, 0o755)
        os.chmod(self.dir, 0o755)
        for name, path in files.items():
            shutil.copyfile(path, os.path.join(self.dir, "www", name))  # as it is, for the C floor
            with open(path, "rb") as src, open(os.path.join(self.dir, "www", "live", name), "wb") as dst:
                dst.write(WALLCLOCK_LINE.sub(rb'\1 <!--# echo var="vmq_wallclock_ms" -->', src.read()))
        for d in ("www", "www/live"):
            os.chmod(os.path.join(self.dir, d), 0o755)
        for name in files:
            os.chmod(os.path.join(self.dir, "www", name), 0o644)
            os.chmod(os.path.join(self.dir, "www", "live", name), 0o644)
        temp = os.path.join(self.dir, "temp")
        os.makedirs(temp)
        conf = """
worker_processes 1;
worker_rlimit_nofile 16384;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {t}/body;
  proxy_temp_path {t}/proxy;
  fastcgi_temp_path {t}/fastcgi;
  uwsgi_temp_path {t}/uwsgi;
  scgi_temp_path {t}/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 600s;
  default_type "text/plain; version=0.0.4";
  # Under /live/, system_wallclock advances, as a running node's does: a frozen one would read as
  # a node that restarts every scrape (its start moving later by an interval each time). nginx
  # writes the time in ms there (SSI), so those responses are chunked; every subject but the C
  # floor (which reads Content-Length, and the body as it is) is given them.
  map $msec $vmq_wallclock_ms {{ "~^(?<s>[0-9]+)\.(?<ms>[0-9]+)$" $s$ms; }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    root {d}/www;
    location /live/ {{
      ssi on;
      ssi_types *;
    }}
  }}
}}
""".format(d=self.dir, t=temp, port=self.port)
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(
            ["nginx", "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
             "-c", os.path.join(self.dir, "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "stderr.log"), "w"))
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start; see " + self.dir)

    def url(self, name):
        return "http://127.0.0.1:%d/live/%s" % (self.port, name)

    def close(self):
        stop(self.proc)


class HangingNodes:
    """vernemq-sim with N nodes whose endpoints accept and never answer (fault: hang)."""

    def __init__(self, sim, workdir, n):
        path = os.path.join(workdir, "hang.yaml")
        with open(path, "w") as f:
            f.write("prefix: vernemq_\nnodes: [%s]\nsteps:\n  - {at: 0, fault: hang}\n"
                    % ", ".join('"hang%d@127.0.0.1"' % i for i in range(n)))
        self.proc = subprocess.Popen([sim, "--scenario", path], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.urls = []
        for line in self.proc.stdout:
            line = line.strip()
            if line == "ready":
                break
            self.urls.append(line.split()[-1])
        if len(self.urls) != n:
            raise RuntimeError("vernemq-sim did not start")
        time.sleep(2.0)  # its timeline (and so the fault) starts at the next whole second + 0.5 s

    def close(self):
        stop(self.proc)


# ---------------------------------------------------------------------------------------------
# running subjects


CLUSTER_SOURCES = True  # --no-cluster-sources: jobs poll /metrics only


def plugin_config(path, urls, every=1):
    with open(path, "w") as f:
        f.write("update_every: %d\njobs:\n" % every)
        for i, url in enumerate(urls):
            f.write("  - name: job%04d\n    url: %s\n    timeout: 1\n" % (i, url))
            if not CLUSTER_SOURCES:
                f.write("    cluster_sources: false\n")


def plugin_tick(line):
    # "BEGIN vernemq_job0007.mqtt_puback_sent_reason [usec]": one per job per scrape (an empty
    # SET after a failed scrape is a tick too, and is counted separately by the caller).
    if line.startswith(b"BEGIN ") and b".mqtt_puback_sent_reason" in line:
        return line.split(b" ")[1].split(b".")[0]
    return None


# The plugin spreads many jobs over the second (scheduler.h, spread_phase): with J jobs there are
# P = min(20, ceil(J / 50)) phases and job N's ticks are due (N mod P) / P s after each whole
# second. Its lateness and its seconds are read from there.
JOBS_PER_PHASE = 50
MAX_PHASES = 20


def plugin_phase(job, jobs):
    digits = bytes(c for c in job if 48 <= c <= 57)
    phases = min(MAX_PHASES, max(1, -(-jobs // JOBS_PER_PHASE)))
    return (int(digits) % phases) / phases if digits else 0.0


def peer_tick(line):
    if line.startswith(b"SCRAPE "):
        return line.split(b" ")[1]
    return None


# Ticks are read this long after the window's end: a tick due just before the end is in it.
READ_PAST_END_S = 0.9


def paced_run(name, argv, tick_of, jobs, warmup, duration, workdir, watch_jobs=None):
    """Runs argv; measures a window of `duration` whole seconds after `warmup` seconds."""
    return paced_together([dict(name=name, argv=argv, tick_of=tick_of, jobs=jobs, watch_jobs=watch_jobs)],
                          warmup, duration, workdir)[0]


def paced_together(subjects, warmup, duration, workdir):
    """Runs every subject at once and measures them over the same window, so that whatever
    else the machine does then weighs on all of them alike. Returns one result per subject."""
    t_launch = time.time()
    running = []
    for sub in subjects:
        log = open(os.path.join(workdir, sub["name"].replace(" ", "_").replace("/", "_") + ".stderr"), "w")
        proc = subprocess.Popen(sub["argv"], stdout=subprocess.PIPE, stderr=log)
        os.set_blocking(proc.stdout.fileno(), False)
        running.append(dict(sub=sub, proc=proc, log=log, fd=proc.stdout.fileno(), rest=b"", ticks=[],
                            empty_sets=0, cpu0=None, cpu1=None, hwm=0, anon=0))
    by_fd = {r["fd"]: r for r in running}
    start = int(t_launch + warmup) + 1.5  # a half second: between ticks
    end = start + duration
    measuring = False
    ended = False  # the window's CPU and memory are read
    try:
        while True:
            now = time.time()
            if not measuring and now >= start:
                for r in running:
                    r["cpu0"] = proc_cpu_ns(r["proc"].pid)
                measuring = True
            if now >= end and not ended:
                for r in running:
                    r["cpu1"] = proc_cpu_ns(r["proc"].pid)
                    r["hwm"] = proc_status_kb(r["proc"].pid, "VmHWM")
                    r["anon"] = proc_status_kb(r["proc"].pid, "RssAnon")
                ended = True
            if now >= end + READ_PAST_END_S:
                break  # the ticks due just before the end have arrived
            wake = start if not measuring else (end if not ended else end + READ_PAST_END_S)
            ready, _, _ = select.select(list(by_fd), [], [], max(0.0, wake - now))
            t = time.time()
            for fd in ready:
                r = by_fd[fd]
                try:
                    chunk = os.read(fd, 1 << 20)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise RuntimeError("%s exited early (rc %s); see %s" % (r["sub"]["name"], r["proc"].wait(),
                                                                           r["log"].name))
                lines = (r["rest"] + chunk).split(b"\n")
                r["rest"] = lines.pop()
                if not measuring:
                    continue
                for line in lines:
                    job = r["sub"]["tick_of"](line)
                    if job is not None:
                        r["ticks"].append((job, t))
                    elif line.startswith(b"SET ") and line.endswith(b"= "):
                        r["empty_sets"] += 1
    finally:
        for r in running:
            stop(r["proc"])
            r["log"].close()
    results = []
    for r in running:
        sub = r["sub"]
        jobs, watch_jobs, ticks = sub["jobs"], sub.get("watch_jobs"), r["ticks"]
        phase_of = (lambda job: plugin_phase(job, jobs)) if sub["tick_of"] is plugin_tick else (lambda job: 0.0)
        # Each tick belongs to the due time before it (whole second + the job's phase); a job
        # keeps a due time in the window when a scrape arrived for it. duration due times each.
        due_of = {}
        for job, t in ticks:
            ph = phase_of(job)
            due_of[(job, t)] = math.floor(t - ph) + ph
        per_job = {}
        for job, t in ticks:
            d = due_of[(job, t)]
            if start <= d < end:
                per_job.setdefault(job, set()).add(d)
        watched = sorted(watch_jobs) if watch_jobs is not None else sorted(per_job)
        kept = [len(per_job.get(j, set())) for j in watched]
        kept += [0] * ((jobs if watch_jobs is None else len(watch_jobs)) - len(kept))  # jobs never seen
        in_window = [(job, t) for job, t in ticks if start <= due_of[(job, t)] < end]
        late_ms = [(t - due_of[(job, t)]) * 1000.0 for job, t in in_window if watch_jobs is None or job in watch_jobs]
        n_scrapes = len([1 for job, t in ticks if t < end])  # the CPU is read at the end
        cpu_ms = (r["cpu1"] - r["cpu0"]) / 1e6
        res = {
            "name": sub["name"],
            "jobs": jobs,
            "seconds": duration,
            "together_with": [x["name"] for x in subjects if x is not sub],
            "scrapes": n_scrapes,
            "cpu_ms": cpu_ms,
            "cpu_pct_of_core": cpu_ms / (duration * 1000.0) * 100.0,
            "cpu_ms_per_scrape": cpu_ms / n_scrapes if n_scrapes else float("nan"),
            "peak_rss_mb": r["hwm"] / 1024.0,
            "anon_rss_mb": r["anon"] / 1024.0,  # private memory at the end (RSS less shared library pages)
            "ticks_expected_per_job": duration,
            "ticks_kept_min": min(kept) if kept else 0,
            "ticks_kept_median": statistics.median(kept) if kept else 0,
            "jobs_missing_a_second": sum(1 for k in kept if k < duration),
            "late_ms_p50": percentile(late_ms, 50),
            "late_ms_p99": percentile(late_ms, 99),
            "late_ms_max": max(late_ms) if late_ms else float("nan"),
            "empty_sets": r["empty_sets"],
        }
        print("  %-34s jobs %4d  cpu/scrape %.3f ms  cpu %.2f %%  rss %.1f MB (anon %.1f)  kept %s/%d  late p50 %.1f p99 %.1f max %.1f ms"
              % (res["name"], jobs, res["cpu_ms_per_scrape"], res["cpu_pct_of_core"], res["peak_rss_mb"],
                 res["anon_rss_mb"], res["ticks_kept_min"], duration, res["late_ms_p50"], res["late_ms_p99"],
                 res["late_ms_max"]), flush=True)
        results.append(res)
    return results


def rusage_run(argv):
    """Runs argv to its end: (CPU seconds, peak RSS MB, stdout). The peak is VmHWM polled while
    it runs (wait4's ru_maxrss would count the forked Python before the exec)."""
    out_path = tempfile.mktemp(prefix="vmq-b2b-")
    with open(out_path, "wb") as out_file:
        proc = subprocess.Popen(argv, stdout=out_file, stderr=subprocess.DEVNULL)
    hwm = 0
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        try:
            hwm = max(hwm, proc_status_kb(proc.pid, "VmHWM"))
        except (FileNotFoundError, ProcessLookupError):
            pass
        time.sleep(0.005)
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as f:
        out = f.read()
    os.unlink(out_path)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (rc %d)" % (argv[0], proc.returncode))
    return ru.ru_utime + ru.ru_stime, hwm / 1024.0, out


def back_to_back(name, make_argv, n):
    cpu1, _, _ = rusage_run(make_argv(1))
    cpun, rss, _ = rusage_run(make_argv(n))
    per = (cpun - cpu1) / (n - 1) * 1000.0
    print("  %-34s back to back: %.3f ms CPU per scrape, peak RSS %.1f MB" % (name, per, rss), flush=True)
    return {"name": name, "scrapes": n, "cpu_ms_per_scrape": per, "peak_rss_mb": rss}


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="the CMake build directory (Release)")
    ap.add_argument("--go-peer", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--python-peer", required=True)
    ap.add_argument("--out", required=True, help="directory for results.json, results.md, plots")
    ap.add_argument("--duration", type=int, default=30, help="measured seconds per paced run")
    ap.add_argument("--warmup", type=int, default=4)
    ap.add_argument("--jobs", default="1,100,500,1000", help="job counts for the plugin")
    ap.add_argument("--go-jobs", default="1,100,500,1000", help="job counts for the Go peer")
    ap.add_argument("--sizes", default="1,10,50,149", help="nodes per body for the size runs")
    ap.add_argument("--dead", type=int, default=100, help="dead + hanging endpoints beside one job")
    ap.add_argument("--plugin", help="another vernemq.plugin to measure (default: the build's)")
    ap.add_argument("--libcurl-rss", help="the libcurl_rss tool (RSS of a process that only loads libcurl)")
    ap.add_argument("--libcurl-paced", help="the libcurl_paced tool (libcurl alone, fetching every second)")
    ap.add_argument("--only-plugin", action="store_true", help="skip the peers (e.g. to measure an older build)")
    ap.add_argument("--no-cluster-sources", action="store_true",
                    help="jobs poll /metrics only (the cluster sources are on by default, as for a user)")
    args = ap.parse_args()
    global CLUSTER_SOURCES
    CLUSTER_SOURCES = not args.no_cluster_sources

    build = os.path.abspath(args.build)
    plugin = os.path.abspath(args.plugin) if args.plugin else os.path.join(build, "vernemq.plugin")
    body_tool = os.path.join(build, "bench", "vmq-bench-body")
    parse_bench = os.path.join(build, "bench", "parse_bench")
    sim = os.path.join(build, "sim", "vernemq-sim")
    py = "/usr/bin/python3"
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="vmq-process-bench-")
    results = {"machine": machine(), "duration": args.duration, "warmup": args.warmup, "plugin": plugin,
               "paced": [], "together": [], "back_to_back": [], "parse": [], "sizes": [], "libcurl_rss": None}
    if args.libcurl_rss:
        out = subprocess.run([args.libcurl_rss], check=True, capture_output=True, text=True).stdout
        results["libcurl_rss"] = {line.split()[0]: {k: int(v) / 1024.0 for k, v in (f.split("=") for f in line.split()[1:])}
                                  for line in out.splitlines()}
        print("a process that only loads libcurl: " + "; ".join(
            "%s %.1f MB" % (k, v["VmHWM"]) for k, v in results["libcurl_rss"].items()), flush=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    bodies = {}
    for n in sorted(set(sizes + [1, 149])):
        path = os.path.join(workdir, "metrics-%d" % n)
        with open(path, "wb") as f:
            subprocess.run([body_tool, str(n)], stdout=f, check=True)
        bodies[n] = path
    print("bodies: " + ", ".join("%d node(s) %d bytes" % (n, os.path.getsize(p)) for n, p in sorted(bodies.items())),
          flush=True)
    nginx = Nginx(workdir, {"metrics-%d" % n: p for n, p in bodies.items()})
    hang = None
    try:
        url1 = nginx.url("metrics-1")
        port = str(nginx.port)
        go = args.go_peer
        floor = args.floor

        # -- parse only, in process ----------------------------------------------------------
        print("parse only (one body in memory, repeated):", flush=True)
        peers = not args.only_plugin
        gb = json.loads(subprocess.run(
            [parse_bench, "--benchmark_format=json", "--benchmark_repetitions=5",
             "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.5",
             "--benchmark_filter=BM_(Extract_Node40KB|Extract_149Nodes4MB|FloorScan_Node40KB|FloorScan_149Nodes4MB|TokeniseEverySample_Node40KB)$"],
            check=True, capture_output=True, text=True).stdout)
        for b in gb["benchmarks"]:
            if b.get("aggregate_name") != "median":
                continue
            unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b["time_unit"]]
            results["parse"].append({"name": b["run_name"], "us": b["cpu_time"] * unit,
                                     "bytes": b["body_bytes"]})
        for label, argv in (
                ("Go expfmt", lambda f, n: [go, "-parse", f, "-count", str(n)]),
                ("Python prometheus_client", lambda f, n: [py, args.python_peer, "--parse", f, "--count", str(n)])
        ) if peers else ():
            for nodes, count in ((1, 300 if "Go" in label else 100), (149, 5 if "Go" in label else 2)):
                out = subprocess.run(argv(bodies[nodes], count), check=True, capture_output=True, text=True).stdout
                us = float(out.split("us_per_parse=")[1].split()[0])
                results["parse"].append({"name": "%s %d node(s)" % (label, nodes), "us": us,
                                         "bytes": os.path.getsize(bodies[nodes])})
        for p in results["parse"]:
            print("  %-45s %10.1f us  %8.0f MB/s" % (p["name"], p["us"], p["bytes"] / p["us"]), flush=True)

        # -- back to back ----------------------------------------------------------------------
        print("back to back (one job, one keep-alive connection, as fast as possible):", flush=True)
        curl_cfg = os.path.join(workdir, "curl-%d.cfg")

        def curl_argv(n):
            path = curl_cfg % n
            with open(path, "w") as f:
                for _ in range(n):
                    f.write('url = "%s"\noutput = "/dev/null"\n' % url1)
            return ["curl", "-s", "-K", path]

        b2b = [
            ("floor (C, raw socket, one family)", lambda n: [floor, "127.0.0.1", port, "/metrics-1", str(n)], 3000),
            ("curl (fetch only)", curl_argv, 3000),
            ("Go expfmt", lambda n: [go, "-url", url1, "-count", str(n)], 1000),
            ("Python prometheus_client", lambda n: [py, args.python_peer, "--url", url1, "--count", str(n)], 300),
        ]
        for name, make, n in b2b if peers else ():
            results["back_to_back"].append(back_to_back(name, make, n))

        # -- paced: one job and many -------------------------------------------------------------
        print("paced (update_every 1, %d s measured after %d s):" % (args.duration, args.warmup), flush=True)
        for jobs in [int(j) for j in args.jobs.split(",") if j]:
            cfg = os.path.join(workdir, "plugin-%d.conf" % jobs)
            plugin_config(cfg, [url1] * jobs)
            results["paced"].append(paced_run("vernemq.plugin", [plugin, "1", "--config", cfg], plugin_tick, jobs,
                                              args.warmup, args.duration, workdir))
        for jobs in [int(j) for j in args.go_jobs.split(",") if j] if peers else []:
            results["paced"].append(paced_run("Go expfmt", [go, "-url", url1, "-jobs", str(jobs)], peer_tick, jobs,
                                              args.warmup, args.duration, workdir))
        if peers:
            results["paced"].append(paced_run("Python prometheus_client", [py, args.python_peer, "--url", url1],
                                              peer_tick, 1, args.warmup, args.duration, workdir))
            results["paced"].append(paced_run("floor (C, raw socket, one family)",
                                              [floor, "127.0.0.1", port, "/metrics-1"], peer_tick, 1, args.warmup,
                                              args.duration, workdir))

        # -- side by side: the one-job subjects at once, in the same window ----------------------
        if peers:
            print("side by side (one job each, all running at once, %d s):" % (2 * args.duration), flush=True)
            cfg = os.path.join(workdir, "plugin-together.conf")
            plugin_config(cfg, [url1])
            results["together"] = paced_together([
                dict(name="vernemq.plugin", argv=[plugin, "1", "--config", cfg], tick_of=plugin_tick, jobs=1),
                dict(name="Go expfmt", argv=[go, "-url", url1, "-jobs", "1"], tick_of=peer_tick, jobs=1),
                dict(name="Python prometheus_client", argv=[py, args.python_peer, "--url", url1], tick_of=peer_tick,
                     jobs=1),
                dict(name="floor (C, raw socket, one family)", argv=[floor, "127.0.0.1", port, "/metrics-1"],
                     tick_of=peer_tick, jobs=1),
            ] + ([dict(name="libcurl alone (fetch, discard)", argv=[args.libcurl_paced, url1], tick_of=peer_tick,
                       jobs=1)] if args.libcurl_paced else []), args.warmup, 2 * args.duration, workdir)

        # -- failure: dead and hanging endpoints beside one healthy job --------------------------
        if args.dead > 0:
            print("failure (1 healthy job + %d refused + %d hanging endpoints):" % (args.dead // 2, args.dead - args.dead // 2),
                  flush=True)
            hang = HangingNodes(sim, workdir, args.dead - args.dead // 2)
            refused = ["http://127.0.0.1:%d/metrics" % free_port() for _ in range(args.dead // 2)]
            cfg = os.path.join(workdir, "plugin-dead.conf")
            plugin_config(cfg, [url1] + refused + hang.urls)
            r = paced_run("vernemq.plugin + dead endpoints", [plugin, "1", "--config", cfg], plugin_tick, 1 + args.dead,
                          args.warmup, args.duration, workdir, watch_jobs={b"vernemq_job0000"})
            r["dead_endpoints"] = args.dead
            results["paced"].append(r)
            hang.close()
            hang = None

        # -- body size -----------------------------------------------------------------------------
        print("body size (one job, update_every 1):", flush=True)
        for nodes in sizes:
            url = nginx.url("metrics-%d" % nodes)
            cfg = os.path.join(workdir, "plugin-size-%d.conf" % nodes)
            plugin_config(cfg, [url])
            subjects = [("vernemq.plugin", [plugin, "1", "--config", cfg], plugin_tick)]
            if peers:
                subjects.append(("Go expfmt", [go, "-url", url, "-jobs", "1"], peer_tick))
            for name, argv, tick in subjects:
                r = paced_run("%s %d node(s)" % (name, nodes), argv, tick, 1, args.warmup, args.duration, workdir)
                r["subject"] = name
                r["nodes"] = nodes
                r["body_bytes"] = os.path.getsize(bodies[nodes])
                results["sizes"].append(r)
    finally:
        if hang:
            hang.close()
        nginx.close()
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    write_markdown(results, os.path.join(args.out, "results.md"))
    plot(results, args.out, workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    print("results: %s/results.md, results.json" % args.out)


def machine():
    info = {"cpu": "?", "cores": os.cpu_count()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                info["cpu"] = line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        with open("/etc/debian_version") as f:
            info["debian"] = f.read().strip()
    except OSError:
        pass
    info["kernel"] = os.uname().release
    info["loadavg_at_start"] = os.getloadavg()[0]
    for tool, cmd in (("nginx", ["nginx", "-v"]), ("go", ["go", "version"]), ("curl", ["curl", "--version"])):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            info[tool] = (p.stdout or p.stderr).splitlines()[0].strip()
        except (OSError, IndexError):
            pass
    return info


def find(rows, name, **match):
    for row in rows:
        if row["name"] == name and all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def summary(r):
    """The issue's targets, each with its figure from this run and whether it is met."""
    parse = {p["name"]: p for p in r["parse"]}
    paced = r["paced"]
    ours40 = parse.get("BM_Extract_Node40KB")
    ours4m = parse.get("BM_Extract_149Nodes4MB")
    floor40 = parse.get("BM_FloorScan_Node40KB")
    go40 = parse.get("Go expfmt 1 node(s)")
    # One job: the side-by-side run when there is one (every subject in the same window).
    single = r.get("together") or paced
    one = find(single, "vernemq.plugin", jobs=1)
    go1 = find(single, "Go expfmt", jobs=1)
    floor1 = find(single, "floor (C, raw socket, one family)", jobs=1)
    alone = find(paced, "vernemq.plugin", jobs=1) or one
    j500 = find(paced, "vernemq.plugin", jobs=500)
    j1000 = find(paced, "vernemq.plugin", jobs=1000)
    dead = next((p for p in paced if "dead_endpoints" in p), None)
    rows = []

    def add(target, figure, ok):
        rows.append((target, figure, "yes" if ok else "**no**"))

    if ours40:
        add("parse + extract, 40 KB: ≤ 10 µs (≥ 4 GB/s)", "%.1f µs (%.1f GB/s)" % (ours40["us"], ours40["bytes"] / ours40["us"] / 1e3),
            ours40["us"] <= 10)
        if go40:
            add("… ≥ 50× the Go collector's parse", "%.0f×" % (go40["us"] / ours40["us"]), go40["us"] / ours40["us"] >= 50)
        if floor40:
            add("… within 3× of the single-family floor", "%.1f× (floor %.1f µs)" % (ours40["us"] / floor40["us"], floor40["us"]),
                ours40["us"] <= 3 * floor40["us"])
    if ours4m:
        add("parse + extract, 4 MB: ≤ 2 ms", "%.2f ms" % (ours4m["us"] / 1e3), ours4m["us"] <= 2000)
    if one:
        add("one job: CPU per scrape ≤ 0.3 ms", "%.3f ms" % one["cpu_ms_per_scrape"], one["cpu_ms_per_scrape"] <= 0.3)
        if go1:
            add("… ≥ 5× below the Go collector at the same pace", "%.1f× (Go %.3f ms)" % (
                go1["cpu_ms_per_scrape"] / one["cpu_ms_per_scrape"], go1["cpu_ms_per_scrape"]),
                go1["cpu_ms_per_scrape"] >= 5 * one["cpu_ms_per_scrape"])
        if floor1:
            add("… within 2× of the floor", "%.2f× (floor %.3f ms)" % (
                one["cpu_ms_per_scrape"] / floor1["cpu_ms_per_scrape"], floor1["cpu_ms_per_scrape"]),
                one["cpu_ms_per_scrape"] <= 2 * floor1["cpu_ms_per_scrape"])
        curl1 = find(single, "libcurl alone (fetch, discard)", jobs=1)
        if curl1:
            rows.append(("(for reference: libcurl alone, fetching the same body every second and discarding it)",
                         "%.3f ms: the plugin costs %.2f× that" % (curl1["cpu_ms_per_scrape"],
                                                                    one["cpu_ms_per_scrape"] / curl1["cpu_ms_per_scrape"]),
                         "—"))
        add("one job: peak RSS ≤ 5 MB", "%.1f MB (private: %.1f MB)" % (one["peak_rss_mb"], one["anon_rss_mb"]),
            one["peak_rss_mb"] <= 5)
    if j500:
        add("500 jobs: CPU ≤ 15 % of one core", "%.1f %%" % j500["cpu_pct_of_core"], j500["cpu_pct_of_core"] <= 15)
    for j in (j500, j1000):
        if j:
            add("%d jobs: every job keeps every tick" % j["jobs"], "min %d / %d s; %d job(s) missed a second" % (
                j["ticks_kept_min"], j["ticks_expected_per_job"], j["jobs_missing_a_second"]), j["jobs_missing_a_second"] == 0)
    if j1000:
        add("1 000 jobs: peak RSS ≤ 64 MB", "%.1f MB" % j1000["peak_rss_mb"], j1000["peak_rss_mb"] <= 64)
    if dead and alone:
        add("%d dead/hanging endpoints: the healthy job keeps its ticks" % dead["dead_endpoints"],
            "%d / %d s, lateness p99 %.1f ms (alone: %.1f ms)" % (dead["ticks_kept_min"], dead["ticks_expected_per_job"],
                                                               dead["late_ms_p99"], alone["late_ms_p99"]),
            dead["jobs_missing_a_second"] == 0)
        add("… and cost the process little CPU", "%.2f %% of a core (one healthy job alone: %.2f %%)" % (
            dead["cpu_pct_of_core"], alone["cpu_pct_of_core"]), dead["cpu_pct_of_core"] <= 2.0)
    return rows


def write_markdown(r, path):
    m = r["machine"]
    lines = ["# Process benchmark results", "",
             "Machine: %s, %s cores, Debian %s, kernel %s; load average at start %.2f. %d s measured per paced run."
             % (m["cpu"], m["cores"], m.get("debian", "?"), m["kernel"], m["loadavg_at_start"], r["duration"]),
             "Plugin: `%s`." % r["plugin"], ""]
    rows = summary(r)
    if rows:
        lines += ["## Targets", "", "| target | this run | met |", "|---|---|---|"]
        lines += ["| %s | %s | %s |" % row for row in rows]
        lines.append("")
    # Each row against this project's extraction of the same body.
    ours_by_size = {p["bytes"]: p for p in r["parse"] if p["name"].startswith("BM_Extract_")}
    if r["parse"]:
        lines += ["## Parse + extract, one body in memory", "",
                  "| what | body | time per body | MB/s | time vs this project's extraction of the same body |",
                  "|---|---|---|---|---|"]
        for p in r["parse"]:
            ours = ours_by_size.get(p["bytes"])
            ratio = p["us"] / ours["us"] if ours else float("nan")
            lines.append("| %s | %.0f KB | %.1f µs | %.0f | %.1f× |" % (p["name"], p["bytes"] / 1024, p["us"],
                                                                       p["bytes"] / p["us"], ratio))
        lines.append("")
    if r.get("together"):
        base = find(r["together"], "vernemq.plugin")
        lines += ["## Side by side: one job each, all running at once (update_every 1, %d s)" % r["together"][0]["seconds"], "",
                  "| subject | CPU per scrape | vs vernemq.plugin | peak RSS | private RSS | ticks kept | lateness p50 / p99 |",
                  "|---|---|---|---|---|---|---|"]
        for p in r["together"]:
            lines.append("| %s | %.3f ms | %.2f× | %.1f MB | %.1f MB | %d / %d | %.1f / %.1f ms |" % (
                p["name"], p["cpu_ms_per_scrape"], p["cpu_ms_per_scrape"] / base["cpu_ms_per_scrape"],
                p["peak_rss_mb"], p["anon_rss_mb"], p["ticks_kept_min"], p["ticks_expected_per_job"],
                p["late_ms_p50"], p["late_ms_p99"]))
        lines.append("")
    lines += ["## Paced, one subject at a time: update_every 1", "",
              "| subject | jobs | CPU per scrape | CPU, % of one core | peak RSS | private RSS | ticks kept (min per job / expected) | jobs that missed a second | lateness p50 / p99 / max |",
              "|---|---|---|---|---|---|---|---|---|"]
    for p in r["paced"]:
        # With dead endpoints, CPU per scrape is the whole process's CPU per healthy scrape.
        name = p["name"] + (" (%d dead; CPU per healthy scrape)" % p["dead_endpoints"] if "dead_endpoints" in p else "")
        lines.append("| %s | %d | %.3f ms | %.2f %% | %.1f MB | %.1f MB | %d / %d | %d | %.1f / %.1f / %.1f ms |" % (
            name, p["jobs"], p["cpu_ms_per_scrape"], p["cpu_pct_of_core"], p["peak_rss_mb"], p["anon_rss_mb"],
            p["ticks_kept_min"], p["ticks_expected_per_job"], p["jobs_missing_a_second"],
            p["late_ms_p50"], p["late_ms_p99"], p["late_ms_max"]))
    lines.append("")
    if r["back_to_back"]:
        lines += ["## Back to back: one job, as fast as possible", "",
                  "| subject | CPU per scrape | peak RSS |", "|---|---|---|"]
        for b in r["back_to_back"]:
            lines.append("| %s | %.3f ms | %.1f MB |" % (b["name"], b["cpu_ms_per_scrape"], b["peak_rss_mb"]))
        lines.append("")
    if r["sizes"]:
        lines += ["## Body size: one job, update_every 1", "",
                  "| subject | nodes | body | CPU per scrape | peak RSS |", "|---|---|---|---|---|"]
        for s in r["sizes"]:
            lines.append("| %s | %d | %.0f KB | %.3f ms | %.1f MB |" % (
                s["subject"], s["nodes"], s["body_bytes"] / 1024, s["cpu_ms_per_scrape"], s["peak_rss_mb"]))
        lines.append("")
    if r.get("libcurl_rss"):
        lines += ["## What libcurl alone costs in RSS", "",
                  "A C program that only links Debian's libcurl (OpenSSL flavour):", "",
                  "| moment | peak RSS | of which shared library pages | private |", "|---|---|---|---|"]
        for k, v in r["libcurl_rss"].items():
            lines.append("| %s | %.1f MB | %.1f MB | %.1f MB |" % (k, v["VmHWM"], v["RssFile"], v["RssAnon"]))
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def plot(r, out, workdir):
    if shutil.which("gnuplot") is None:
        print("gnuplot not found: no plot")
        return
    data = os.path.join(workdir, "plot")
    os.makedirs(data, exist_ok=True)
    for subject, fname in (("vernemq.plugin", "size-plugin.dat"), ("Go expfmt", "size-go.dat")):
        with open(os.path.join(data, fname), "w") as f:
            for s in r["sizes"]:
                if s["subject"] == subject:
                    f.write("%f %f\n" % (s["body_bytes"] / 1024.0, s["cpu_ms_per_scrape"]))
    for subject, fname in (("vernemq.plugin", "jobs-plugin.dat"), ("Go expfmt", "jobs-go.dat")):
        with open(os.path.join(data, fname), "w") as f:
            for p in r["paced"]:
                if p["name"] == subject:
                    f.write("%d %f %f\n" % (p["jobs"], p["cpu_pct_of_core"], p["peak_rss_mb"]))
    script = """
set terminal pngcairo size 1200,420 font ",10"
set output "{out}/process-bench.png"
set multiplot layout 1,3
set logscale xy
set grid
set key top left
set title "CPU per scrape vs body size (1 job, 1 scrape/s)"
set xlabel "body (KB)"
set ylabel "CPU per scrape (ms)"
plot "{d}/size-plugin.dat" using 1:2 with linespoints lw 2 title "vernemq.plugin", \\
     "{d}/size-go.dat" using 1:2 with linespoints lw 2 title "Go expfmt"
set title "CPU vs jobs (40 KB body, 1 scrape/s each)"
set xlabel "jobs"
set ylabel "CPU (% of one core)"
plot "{d}/jobs-plugin.dat" using 1:2 with linespoints lw 2 title "vernemq.plugin", \\
     "{d}/jobs-go.dat" using 1:2 with linespoints lw 2 title "Go expfmt"
set title "Peak RSS vs jobs"
set ylabel "peak RSS (MB)"
plot "{d}/jobs-plugin.dat" using 1:3 with linespoints lw 2 title "vernemq.plugin", \\
     "{d}/jobs-go.dat" using 1:3 with linespoints lw 2 title "Go expfmt"
unset multiplot
""".format(out=os.path.abspath(out), d=data)
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if p.returncode != 0:
        print("gnuplot failed: " + p.stderr)
    else:
        print("plot: %s/process-bench.png" % out)


if __name__ == "__main__":
    sys.exit(main())
