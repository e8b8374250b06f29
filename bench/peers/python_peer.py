#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark peer: a VerneMQ collector in Python with prometheus_client's parser (Debian's
python3-prometheus-client): one keep-alive connection per job, a scrape at every whole second,
every metric family of the body parsed, then the mqtt_puback_sent series summed by reason.
Benchmark code only.

  python_peer.py --url URL [--jobs N]      paced, forever; prints "SCRAPE <job> <sum>" per scrape
  python_peer.py --url URL --count N       back to back: N scrapes of one job, then exits
  python_peer.py --parse FILE --count N    parse only: prints µs per parse
"""
import argparse
import http.client
import sys
import threading
import time
import urllib.parse

from prometheus_client.parser import text_string_to_metric_families


def sum_puback_sent(text):
    sums = {}
    for family in text_string_to_metric_families(text):
        if not family.name.endswith("mqtt_puback_sent"):
            continue
        for s in family.samples:
            if s.labels.get("mqtt_version") == "5":
                reason = s.labels.get("reason_code", "")
                sums[reason] = sums.get(reason, 0) + s.value
    return sums


class Scraper:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port or 80, u.path or "/"
        self.conn = None

    def scrape(self):
        for attempt in (0, 1):  # one retry on a connection the server closed
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=0.9)
                self.conn.request("GET", self.path)
                resp = self.conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    raise RuntimeError("HTTP %d" % resp.status)
                return sum(sum_puback_sent(body.decode("utf-8")).values())
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 1:
                    raise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--parse")
    a = ap.parse_args()
    if a.parse:
        text = open(a.parse, encoding="utf-8").read()
        n = a.count or 100
        start = time.perf_counter()
        total = 0
        for _ in range(n):
            total += sum(sum_puback_sent(text).values())
        us = (time.perf_counter() - start) / n * 1e6
        print("PARSE us_per_parse=%.1f bytes=%d sum=%.0f" % (us, len(text), total / n))
        return
    lock = threading.Lock()

    def report(job, line):
        with lock:
            sys.stdout.write(line)
            sys.stdout.flush()

    if a.count:
        s = Scraper(a.url)
        for _ in range(a.count):
            s.scrape()
        report(0, "SCRAPE 0 %d\n" % a.count)
        return

    def run(job):
        s = Scraper(a.url)
        while True:
            now = time.time()
            time.sleep(int(now) + 1 - now)  # the next whole second
            try:
                report(job, "SCRAPE %d %.0f\n" % (job, s.scrape()))
            except Exception as e:  # noqa: BLE001 - a benchmark peer reports and goes on
                report(job, "ERROR %d %s\n" % (job, e))

    threads = [threading.Thread(target=run, args=(j,), daemon=True) for j in range(a.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
