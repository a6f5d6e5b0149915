#!/usr/bin/env python3
"""DNS lab helpers for reproduce.sh (standard library only, runs with any python3 in a netns).

  dns_lab.py serve IP DELAY_MS ANSWER_IP         a resolver: answers every A query with ANSWER_IP
                                                 after DELAY_MS (a recursive lookup's cache miss)
  dns_lab.py spoof IFACE RESOLVER NAME FAKE_IP    an on-path spoofer: sniffs queries for NAME sent to
                                                 RESOLVER and answers at once, from RESOLVER's address
  dns_lab.py load RESOLVER NAMES N OUT.csv        N lookups round-robin over NAMES (comma list), each
                                                 followed by GET http://ANSWER:8080/small; one CSV row
                                                 each: latency_ms,error

Why hand-written DNS: the stub is deliberately the common one (accept the FIRST answer whose
transaction id, port and source address match), and a 30-line encoder keeps the lab free of
dependencies inside the namespaces. Only what the lab needs: one question, one A record.
"""

from __future__ import annotations

import http.client
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def qname(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode("ascii") for p in name.split(".")) + b"\x00"


def parse_question(msg: bytes) -> tuple[int, str, int]:
    """-> (transaction id, name, offset after the question)."""
    txid = struct.unpack_from("!H", msg)[0]
    off, labels = 12, []
    while msg[off]:
        n = msg[off]
        labels.append(msg[off + 1 : off + 1 + n].decode("ascii"))
        off += 1 + n
    return txid, ".".join(labels), off + 5  # zero byte + QTYPE + QCLASS


def answer(query: bytes, addr: str) -> bytes:
    txid, _, end = parse_question(query)
    # QR=1, RD copied as set, RA=1, NOERROR; one question, one answer
    head = struct.pack("!HHHHHH", txid, 0x8180, 1, 1, 0, 0)
    # answer: pointer to the question's name (offset 12), A, IN, TTL 30 s, 4 bytes
    rr = struct.pack("!HHHIH", 0xC00C, 1, 1, 30, 4) + socket.inet_aton(addr)
    return head + query[12:end] + rr


def serve(ip: str, delay_ms: float, addr: str) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 53))
    while True:
        q, peer = s.recvfrom(512)
        time.sleep(delay_ms / 1000.0)
        s.sendto(answer(q, addr), peer)


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return int(~total & 0xFFFF)


def spoof(iface: str, resolver: str, name: str, fake: str) -> None:
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sniff.bind((iface, 0))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)  # we write the IP header
    res = socket.inet_aton(resolver)
    while True:
        frame = sniff.recv(2048)
        if frame[12:14] != b"\x08\x00" or frame[23] != 17 or frame[30:34] != res:
            continue
        ihl = (frame[14] & 0x0F) * 4
        udp = 14 + ihl
        sport, dport = struct.unpack_from("!HH", frame, udp)
        if dport != 53:
            continue
        query = frame[udp + 8 :]
        try:
            _, qn, _ = parse_question(query)
        except (IndexError, UnicodeDecodeError):
            continue
        if qn != name:
            continue
        payload = answer(query, fake)
        client = frame[26:30]
        udph = struct.pack("!HHHH", 53, sport, 8 + len(payload), 0)
        pseudo = res + client + struct.pack("!BBH", 0, 17, len(udph) + len(payload))
        csum = checksum(pseudo + udph + payload) or 0xFFFF
        udph = udph[:6] + struct.pack("!H", csum)
        iph = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udph) + len(payload), 0, 0x4000, 64, 17, 0, res, client
        )
        raw.sendto(iph + udph + payload, (socket.inet_ntoa(client), 0))


def lookup(resolver: str, name: str, timeout: float) -> str:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.connect((resolver, 53))  # the kernel then only delivers datagrams from resolver:53
    txid = struct.unpack("!H", os.urandom(2))[0]
    s.send(struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + qname(name) + struct.pack("!HH", 1, 1))
    try:
        while True:
            msg = s.recv(512)
            if len(msg) >= 12 and struct.unpack_from("!H", msg)[0] == txid:
                # the first matching answer wins; a later, different one is never looked at
                return socket.inet_ntoa(msg[-4:])
    finally:
        s.close()


def load(resolver: str, names: list[str], n: int, out: str) -> None:
    rows = ["latency_ms,error"]
    for i in range(n):
        t0 = time.perf_counter()
        try:
            addr = lookup(resolver, names[i % len(names)], 1.0)
            conn = http.client.HTTPConnection(addr, 8080, timeout=0.5)
            conn.request("GET", "/small")
            resp = conn.getresponse()
            resp.read()
            conn.close()
            err = 0 if resp.status == 200 else 1
        except OSError:
            err = 1
        rows.append(f"{(time.perf_counter() - t0) * 1000.0:.3f},{err}")
    with open(out, "w", encoding="ascii") as f:
        f.write("\n".join(rows) + "\n")


def main() -> int:
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "serve":
        serve(args[0], float(args[1]), args[2])
    elif cmd == "spoof":
        spoof(args[0], args[1], args[2], args[3])
    elif cmd == "load":
        load(args[0], args[1].split(","), int(args[2]), args[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
