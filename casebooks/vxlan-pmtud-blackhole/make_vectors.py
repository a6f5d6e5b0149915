"""Write vectors.pcap: the packets BPF_PROG_TEST_RUN feeds to icmp_fragneeded_drop (deterministic).

Frame 1: ICMP type 3 code 4 (frag needed, next-hop MTU 1450) quoting a 1500-byte TCP segment -> drop.
Frame 2: a TCP data segment -> pass.   Frame 3: ICMP echo request -> pass.
Frame 4: ICMP type 3 code 1 (host unreachable) -> pass.   Frame 5: an ARP request -> pass.
Run with the project's Python (scapy): .venv/bin/python make_vectors.py
"""

from pathlib import Path

from scapy.all import ARP, ICMP, IP, TCP, Ether, Raw, wrpcap

node, pod, client = "10.55.1.1", "10.55.1.2", "10.55.2.2"
mac_pod, mac_node = "02:00:00:55:01:02", "02:00:00:55:01:01"
quoted = IP(src=pod, dst=client, flags="DF", len=1500) / TCP(sport=8080, dport=40000, flags="PA", seq=1)
frames = [
    Ether(src=mac_node, dst=mac_pod) / IP(src=node, dst=pod) / ICMP(type=3, code=4, nexthopmtu=1450) / quoted,
    Ether(src=mac_node, dst=mac_pod) / IP(src=client, dst=pod, flags="DF") / TCP(sport=40000, dport=8080, flags="PA") / Raw(b"GET /large HTTP/1.1\r\n\r\n"),
    Ether(src=mac_node, dst=mac_pod) / IP(src=node, dst=pod) / ICMP(type=8, code=0, id=1, seq=1),
    Ether(src=mac_node, dst=mac_pod) / IP(src=node, dst=pod) / ICMP(type=3, code=1) / quoted,
    Ether(src=mac_node, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=node, pdst=pod, hwsrc=mac_node),
]
for i, f in enumerate(frames):
    f.time = 1764547200 + i  # fixed timestamps: the file's bytes (and sha256) never change
wrpcap(str(Path(__file__).with_name("vectors.pcap")), frames)
