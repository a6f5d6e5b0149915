#!/usr/bin/env python3
"""Bounded HTTP client: N sequential GETs, one CSV row each: latency_ms,error.

Usage: http_load.py URL[,URL...] N TIMEOUT_S INTERVAL_S OUT.csv
URLs are used round-robin. error=1 for a refused/reset/timed-out request or a non-200 status;
latency is measured until the full body arrived (or the failure), with time.perf_counter.
"""

from __future__ import annotations

import http.client
import sys
import time
from urllib.parse import urlsplit


def one(url: str, timeout: float) -> tuple[float, int]:
    u = urlsplit(url)
    t0 = time.perf_counter()
    try:
        conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port or 80, timeout=timeout)
        conn.request("GET", u.path or "/")
        resp = conn.getresponse()
        resp.read()
        conn.close()
        err = 0 if resp.status == 200 else 1
    except OSError:
        err = 1
    return (time.perf_counter() - t0) * 1000.0, err


def main() -> int:
    urls = sys.argv[1].split(",")
    n, timeout, interval, out = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    rows = ["latency_ms,error"]
    for i in range(n):
        ms, err = one(urls[i % len(urls)], timeout)
        rows.append(f"{ms:.3f},{err}")
        if interval > 0:
            time.sleep(interval)
    with open(out, "w", encoding="ascii") as f:
        f.write("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
