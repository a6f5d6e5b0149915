"""Write vectors.pcap for BPF_PROG_TEST_RUN of flow_bytes (deterministic bytes).

Frame 1: a full-size TCP segment of the export (db :9000 -> batch)
Frame 2: a small TCP segment of a web request's answer (db :8080 -> web)
Frame 3: a UDP datagram
Frame 4: an ICMP echo request (no ports: one flow per address pair)
Frame 5: an ARP request (not IPv4: not accounted)
Frame 6: an IPv6 packet (not accounted)
flow_bytes must return 0 (TC_ACT_OK) on all: it observes and never drops.
Run with the project's Python (scapy): .venv/bin/python make_vectors.py
"""

from pathlib import Path

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPv6, Raw, wrpcap

db, web, batch = "10.60.1.2", "10.60.2.2", "10.60.3.2"
e = Ether(src="02:00:00:60:00:01", dst="02:00:00:60:00:02")
frames = [
    e / IP(src=db, dst=batch) / TCP(sport=9000, dport=40142, flags="A", seq=1, ack=1) / Raw(bytes(1448)),
    e
    / IP(src=db, dst=web)
    / TCP(sport=8080, dport=33342, flags="PA", seq=1, ack=73)
    / Raw(b"HTTP/1.0 200 OK\r\n\r\n"),
    e / IP(src=db, dst=web) / UDP(sport=40000, dport=40001) / Raw(b"x" * 32),
    e / IP(src=db, dst=web) / ICMP(type=8, id=1, seq=1),
    Ether(src="02:00:00:60:00:01", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="192.168.60.1", pdst="192.168.60.2"),
    e / IPv6(src="fd00::1", dst="fd00::2") / UDP(sport=1, dport=2),
]
for i, f in enumerate(frames):
    f.time = 1764547200 + i  # fixed timestamps: the file's bytes (and sha256) never change
wrpcap(str(Path(__file__).with_name("vectors.pcap")), frames)
