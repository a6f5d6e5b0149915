"""Write vectors.pcap for BPF_PROG_TEST_RUN of syn_counter (deterministic bytes).

Frame 1: SYN, 2: SYN-ACK, 3: ACK with data, 4: ARP request. syn_counter must return 0 (TC_ACT_OK) on all.
Run with the project's Python (scapy): .venv/bin/python make_vectors.py
"""

from pathlib import Path

from scapy.all import ARP, IP, TCP, Ether, Raw, wrpcap

cli, srv = "10.56.0.2", "10.56.0.1"
e = Ether(src="02:00:00:56:00:02", dst="02:00:00:56:00:01")
frames = [
    e / IP(src=cli, dst=srv) / TCP(sport=40001, dport=8080, flags="S", seq=1000),
    e / IP(src=srv, dst=cli) / TCP(sport=8080, dport=40001, flags="SA", seq=5000, ack=1001),
    e / IP(src=cli, dst=srv) / TCP(sport=40001, dport=8080, flags="PA", seq=1001, ack=5001) / Raw(b"GET / HTTP/1.0\r\n\r\n"),
    Ether(src="02:00:00:56:00:02", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=cli, pdst=srv),
]
for i, f in enumerate(frames):
    f.time = 1764547200 + i  # fixed timestamps: the file's bytes (and sha256) never change
wrpcap(str(Path(__file__).with_name("vectors.pcap")), frames)
