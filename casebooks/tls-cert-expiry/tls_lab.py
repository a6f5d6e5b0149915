#!/usr/bin/env python3
"""TLS lab helpers for reproduce.sh (standard library only, runs with any python3 in a netns).

  tls_lab.py serve IP PORT CERT KEY      HTTPS server (TLS 1.2 at most, see below) until killed
  tls_lab.py load URLS N CAFILE OUT.csv  N sequential HTTPS GETs, round-robin over URLS (comma list),
                                         one CSV row each: latency_ms,error
  tls_lab.py alerts < dump.json          decode `bpftool -j map dump name alerts` (addresses)

TLS 1.2 is the ceiling on purpose: in TLS 1.3 the server certificate and the client's alert are
encrypted, so the capture (and the tc detector) could not show them. The client verifies the chain
against CAFILE and the IP address in the certificate's subjectAltName, as a real client does.
error=1 for any failed handshake, connection failure, timeout or non-200 status.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        body = b"ok\n" * 64
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # a client rejecting our certificate is the point of the lab, not a server error
        pass


def serve(ip: str, port: int, cert: str, key: str) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    srv = QuietServer((ip, port), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def load(urls: list[str], n: int, cafile: str, out: str) -> None:
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    rows = ["latency_ms,error"]
    for i in range(n):
        u = urlsplit(urls[i % len(urls)])
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPSConnection(u.hostname or "", u.port or 443, timeout=1.0, context=ctx)
            conn.request("GET", u.path or "/")
            resp = conn.getresponse()
            resp.read()
            conn.close()
            err = 0 if resp.status == 200 else 1
        except OSError:  # ssl.SSLCertVerificationError is an OSError
            err = 1
        rows.append(f"{(time.perf_counter() - t0) * 1000.0:.3f},{err}")
    with open(out, "w", encoding="ascii") as f:
        f.write("\n".join(rows) + "\n")


def alerts() -> None:
    # the key's server is an IPv4 address in network byte order that bpftool prints as a
    # little-endian integer; turn it back into dotted form
    # (`-j` puts the BTF-decoded entry under "formatted", next to the raw bytes)
    for raw in json.load(sys.stdin):
        e = raw.get("formatted", raw)
        addr = socket.inet_ntoa(struct.pack("<I", e["key"]["server"]))
        print(
            f"# server {e['key']['server']} = {addr}, description {e['key']['description']}: {e['value']} alerts"
        )


def main() -> int:
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "alerts":
        alerts()
    elif sys.argv[1] == "load":
        load(sys.argv[2].split(","), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
