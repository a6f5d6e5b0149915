#!/usr/bin/env python3
"""Serve fixed-size bodies on a port: /small (200 B), /large (24 KiB), /metrics (a few lines).

Usage: http_serve.py PORT [BIND]. Runs until killed; the reproduce scripts kill it by pid.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODIES = {
    "/small": b"s" * 200,
    "/large": b"L" * 24576,
    "/metrics": b"# TYPE offcpu_switches_total counter\noffcpu_switches_total{state=\"runnable\"} 1\n",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        body = BODIES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> int:
    port = int(sys.argv[1])
    bind = sys.argv[2] if len(sys.argv) > 2 else "0.0.0.0"
    ThreadingHTTPServer((bind, port), Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
