#!/usr/bin/env bash
# Lab reproduction of the dns-spoofed-responses case (root; iproute2 with tc+libbpf; clang; perf).
#
# Regenerates: race.pcap, latency_before.csv, latency_after.csv, client_before.folded,
# client_after.folded, guard_drops.txt. Then run `kb case check dns-spoofed-responses --fix-hashes`.
#
# One "node" namespace (cbd-node) with a Linux bridge br0, and three "pods" on it, each behind a veth:
#   cbd-cli  10.59.0.2   the client: a stub resolver that takes the FIRST matching answer, then HTTP
#   cbd-dns  10.59.0.53  the resolver (answers after 15 ms: a recursive cache miss)
#            10.59.0.80  the real service (HTTP :8080), same namespace
#   cbd-evil 10.59.0.66  the compromised pod: sniffs queries for pay.svc.lab and answers first,
#                        from 10.59.0.53, with 10.59.0.66 (nothing listens there: connection refused)
# br0's ageing time is 0, so it floods every frame like a hub: the lab's stand-in for however an
# attacker sees the queries (a shared segment, ARP spoofing, a port mirror).
# before: no guard -> the spoofed answer wins the race for every pay.svc.lab lookup (1 in 4).
# after:  pod_source_guard.bpf.c on tc ingress of the evil pod's bridge port drops its spoofs.
# Bounded: 400 lookups per phase (1 s DNS, 0.5 s HTTP timeout); namespaces removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
nss=(cbd-node cbd-cli cbd-dns cbd-evil)
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "reproduce.sh: run as root (netns, tc, perf)" >&2; exit 1; }
for t in clang tc bpftool perf dumpcap editcap python3 ip; do
  command -v "$t" >/dev/null || { echo "reproduce.sh: $t is missing (see tools/setup/setup.sh)" >&2; exit 1; }
done
lab_py="$here/dns_lab.py"
collapse="$here/../_lab/collapse_perf.py"
for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null || true; done
clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c "$here/pod_source_guard.bpf.c" -o "$work/guard.o"

for n in "${nss[@]}"; do
  ip netns add "$n"; ip -n "$n" link set lo up
  # IPv4 only: no link-local IPv6 chatter in the capture or in the guard's counters
  ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n cbd-node link add br0 type bridge ageing_time 0
ip -n cbd-node link set br0 up
pod() {  # $1 = namespace, $2 = bridge port name, $3... = addresses
  ip link add eth0 netns "$1" type veth peer name "$2" netns cbd-node
  ip -n cbd-node link set "$2" master br0 up
  for a in "${@:3}"; do ip -n "$1" addr add "$a/24" dev eth0; done
  ip -n "$1" link set eth0 up
}
pod cbd-cli vcli 10.59.0.2
pod cbd-dns vdns 10.59.0.53 10.59.0.80
pod cbd-evil vevil 10.59.0.66
sleep 1  # let the ports leave the learning state

ip netns exec cbd-dns python3 "$lab_py" serve 10.59.0.53 15 10.59.0.80 & pids+=($!)
ip netns exec cbd-dns python3 "$here/../_lab/http_serve.py" 8080 & pids+=($!)
ip netns exec cbd-evil python3 "$lab_py" spoof eth0 10.59.0.53 pay.svc.lab 10.59.0.66 & pids+=($!)
sleep 1
names=cart.svc.lab,pay.svc.lab,auth.svc.lab,shop.svc.lab

# packets: one clean lookup and one raced lookup, seen from the client's interface. Of the HTTP
# connections only SYN, SYN-ACK and RST are kept: the order of the frames that close a connection
# varies from run to run, and the key frames must keep their numbers when the script runs again.
ip netns exec cbd-cli dumpcap -q -i eth0 \
  -f "udp port 53 or icmp or (tcp port 8080 and tcp[tcpflags] & (tcp-syn|tcp-rst) != 0)" -w "$work/cap.pcapng" -a duration:4 2>/dev/null &
cap=$!
sleep 1
ip netns exec cbd-cli python3 "$lab_py" load 10.59.0.53 cart.svc.lab,pay.svc.lab 2 "$work/cap.csv"
wait "$cap" || true
editcap -F pcap "$work/cap.pcapng" "$here/race.pcap" >/dev/null

phase() {  # $1 = before|after
  perf record -q -e cpu-clock -F 999 -g -o "$work/$1.data" -- \
    ip netns exec cbd-cli python3 "$lab_py" load 10.59.0.53 "$names" 400 "$here/latency_$1.csv" >/dev/null 2>&1
  perf script -i "$work/$1.data" 2>/dev/null | python3 "$collapse" > "$here/client_$1.folded"
}
phase before
# the fix: source-address validation on the evil pod's port (tc ingress = traffic from the pod)
ip netns exec cbd-node tc qdisc add dev vevil clsact
ip netns exec cbd-node tc filter add dev vevil ingress bpf direct-action obj "$work/guard.o" sec tc
phase after
{
  echo "\$ bpftool map dump name guard_drops   # after the after phase; key 0 = spoofed IPv4 source, 1 = spoofed ARP sender, 2 = malformed/other"
  bpftool map dump name guard_drops
} > "$here/guard_drops.txt"
echo "reproduce.sh: done; now run: kb case check dns-spoofed-responses --fix-hashes"
