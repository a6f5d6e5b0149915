"""Write vectors.pcap for BPF_PROG_TEST_RUN of pod_source_guard (deterministic bytes).

All frames leave the attacker pod (10.59.0.66), as the guard sees them on tc ingress of its port.
Frame 1: a DNS query from the pod's own address               -> 0 (TC_ACT_OK)
Frame 2: a DNS answer forged with the resolver's address       -> 2 (TC_ACT_SHOT)
Frame 3: an ARP reply with the pod's own sender address       -> 0
Frame 4: an ARP reply claiming the resolver's address          -> 2
Frame 5: an IPv6 packet (the pod has no IPv6 address)          -> 2
Frame 6: an 802.1Q-tagged frame carrying a forged IPv4 source -> 2
(A truncated IPv4 header cannot be a vector: BPF_PROG_TEST_RUN itself rejects it with EINVAL.)
Run with the project's Python (scapy): .venv/bin/python make_vectors.py
"""

from pathlib import Path

from scapy.all import ARP, DNS, DNSQR, DNSRR, IP, UDP, Dot1Q, Ether, IPv6, wrpcap

pod, resolver, client = "10.59.0.66", "10.59.0.53", "10.59.0.2"
mac = "02:00:00:59:00:42"
e = Ether(src=mac, dst="02:00:00:59:00:02")
frames = [
    e
    / IP(src=pod, dst=resolver)
    / UDP(sport=40000, dport=53)
    / DNS(id=1, rd=1, qd=DNSQR(qname="pay.svc.lab")),
    e
    / IP(src=resolver, dst=client)
    / UDP(sport=53, dport=41000)
    / DNS(
        id=0xC3D9,
        qr=1,
        rd=1,
        ra=1,
        qd=DNSQR(qname="pay.svc.lab"),
        an=DNSRR(rrname="pay.svc.lab", rdata=pod, ttl=30),
    ),
    e / ARP(op=2, hwsrc=mac, psrc=pod, hwdst="02:00:00:59:00:02", pdst=client),
    e / ARP(op=2, hwsrc=mac, psrc=resolver, hwdst="02:00:00:59:00:02", pdst=client),
    Ether(src=mac, dst="33:33:00:00:00:02") / IPv6(src="fe80::42", dst="ff02::2") / UDP(sport=1, dport=2),
    Ether(src=mac, dst="02:00:00:59:00:02")
    / Dot1Q(vlan=7)
    / IP(src=resolver, dst=client)
    / UDP(sport=53, dport=41000),
]
for i, f in enumerate(frames):
    f.time = 1764547200 + i  # fixed timestamps: the file's bytes (and sha256) never change
wrpcap(str(Path(__file__).with_name("vectors.pcap")), frames)
