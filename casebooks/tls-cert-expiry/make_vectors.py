"""Write vectors.pcap for BPF_PROG_TEST_RUN of tls_alert_count (deterministic bytes).

Frame 1: a TLS 1.2 alert record, fatal certificate_expired (21 03 03 00 02 02 2d), client -> server.
Frame 2: a handshake record (type 22, a ClientHello's first bytes).
Frame 3: an application_data record (type 23), what a TLS 1.3 alert looks like on the wire.
Frame 4: a TCP segment with only 3 payload bytes (shorter than an alert record).
Frame 5: an ARP request.
tls_alert_count must return 0 (TC_ACT_OK) on all: it observes and never drops.
Run with the project's Python (scapy): .venv/bin/python make_vectors.py
"""

from pathlib import Path

from scapy.all import ARP, IP, TCP, Ether, Raw, wrpcap

cli, srv = "10.58.0.2", "10.58.0.13"
e = Ether(src="02:00:00:58:00:02", dst="02:00:00:58:00:0d")


def seg(payload: bytes, sport: int) -> Ether:
    return e / IP(src=cli, dst=srv) / TCP(sport=sport, dport=443, flags="PA", seq=170, ack=658) / Raw(payload)


frames = [
    seg(bytes.fromhex("1503030002022d"), 37384),
    seg(bytes.fromhex("16030100a30100009f0303") + bytes(32), 37385),
    seg(bytes.fromhex("1703030013") + bytes(19), 37386),
    seg(b"\x15\x03\x03", 37387),
    Ether(src="02:00:00:58:00:02", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=cli, pdst=srv),
]
for i, f in enumerate(frames):
    f.time = 1764547200 + i  # fixed timestamps: the file's bytes (and sha256) never change
wrpcap(str(Path(__file__).with_name("vectors.pcap")), frames)
