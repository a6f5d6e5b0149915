#!/usr/bin/env python3
"""East-west surge lab helpers for reproduce.sh (standard library only, runs with any python3 in a netns).

ew_lab.py bulk-serve PORT            send zeros to every client as fast as TCP allows, until killed
ew_lab.py bulk-get HOST PORT SECONDS read from HOST:PORT for SECONDS; print bytes and Mbit/s
ew_lab.py flows N < dump.json        the N largest flows of `bpftool -j map dump name flow_bytes`
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time

CHUNK = b"\x00" * 65536


def bulk_serve(port: int) -> None:
    srv = socket.create_server(("0.0.0.0", port))

    def feed(conn: socket.socket) -> None:
        try:
            while True:
                conn.sendall(CHUNK)
        except OSError:
            conn.close()

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=feed, args=(conn,), daemon=True).start()


def bulk_get(host: str, port: int, seconds: float, streams: int) -> None:
    # parallel streams, as export and backup tools use: each stream's window adds to the queue
    totals = [0] * streams

    def one(i: int) -> None:
        s = socket.create_connection((host, port), timeout=5)
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            data = s.recv(262144)
            if not data:
                break
            totals[i] += len(data)
        s.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt, total = time.monotonic() - t0, sum(totals)
    print(f"bulk-get: {streams} streams, {total} bytes in {dt:.1f} s = {total * 8 / dt / 1e6:.1f} Mbit/s")


def ip(v: int) -> str:
    # addresses are stored in network byte order; bpftool prints them as host-order integers
    return socket.inet_ntoa(struct.pack("<I", v))


def port(v: int) -> int:
    return socket.ntohs(v)


def flows(n: int) -> None:
    rows = []
    for raw in json.load(sys.stdin):
        e = raw.get("formatted", raw)
        k, v = e["key"], e["value"]
        rows.append((v["bytes"], v["packets"], k))
    rows.sort(key=lambda r: r[0], reverse=True)
    total = sum(r[0] for r in rows) or 1
    print(f"{'source':>21}  {'destination':>21}  proto  {'packets':>8}  {'bytes':>11}  share")
    for b, p, k in rows[:n]:
        src = f"{ip(k['saddr'])}:{port(k['sport'])}"
        dst = f"{ip(k['daddr'])}:{port(k['dport'])}"
        print(f"{src:>21}  {dst:>21}  {k['proto']:>5}  {p:>8}  {b:>11}  {100 * b / total:5.1f}%")
    print(f"# {len(rows)} flows, {total} bytes in all")
    # parallel streams split one transfer over many flows: add them up per (source, destination host)
    groups: dict[str, int] = {}
    for b, _, k in rows:
        g = f"{ip(k['saddr'])}:{port(k['sport'])} -> {ip(k['daddr'])}"
        groups[g] = groups.get(g, 0) + b
    print("# bytes per source service and destination host:")
    for g, b in sorted(groups.items(), key=lambda kv: kv[1], reverse=True)[:3]:
        print(f"#   {g:<34} {b:>11}  {100 * b / total:5.1f}%")


def main() -> int:
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "bulk-serve":
        bulk_serve(int(args[0]))
    elif cmd == "bulk-get":
        bulk_get(args[0], int(args[1]), float(args[2]), int(args[3]))
    elif cmd == "flows":
        flows(int(args[0]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
