#!/usr/bin/env bash
# Lab reproduction of the vxlan-pmtud-blackhole case (root; iproute2 with tc+libbpf; clang; perf).
#
# Regenerates: blackhole.pcap, latency_before.csv, latency_after.csv, client_before.folded,
# client_after.folded, pmtu_probe.txt. Then run `kb case check vxlan-pmtud-blackhole --fix-hashes`.
#
# Topology (four private network namespaces, a real VXLAN overlay between two "nodes"):
#   cbp-pod  eth0 10.55.1.2/24 MTU 1500 (the misconfiguration)            <- HTTP server :8080
#     | veth
#   cbp-n1   10.55.1.1 ; vx0 10.55.0.1/24 (VXLAN VNI 42, MTU 1450) over u1 192.168.55.1 (MTU 1500)
#     | veth underlay
#   cbp-n2   u2 192.168.55.2 ; vx0 10.55.0.2/24 (MTU 1450) ; 10.55.2.1
#     | veth
#   cbp-cli  eth0 10.55.2.2/24 MTU 1500                                    <- client
# The fault: tc ingress on the pod's eth0 runs icmp_fragneeded_drop.bpf.c, which drops the ICMP
# "fragmentation needed" messages cbp-n1 sends when a 1500-byte DF segment does not fit vx0.
# before: pod MTU 1500 -> responses larger than one segment stall (black hole).
# after:  pod MTU 1450 (the CNI fix: underlay MTU minus the 50-byte VXLAN overhead), drop still in place.
# Bounded: 400 requests per phase, 1 s timeout each. Namespaces are deleted on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lab="$root/casebooks/_lab"
work=$(mktemp -d)
nss=(cbp-pod cbp-n1 cbp-n2 cbp-cli)
srv=""

cleanup() {
  [ -n "$srv" ] && kill "$srv" 2>/dev/null || true
  for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "reproduce.sh: run as root (netns, tc, perf)" >&2; exit 1; }
for t in clang tc perf dumpcap editcap python3 ip; do
  command -v "$t" >/dev/null || { echo "reproduce.sh: $t is missing (see tools/setup/setup.sh)" >&2; exit 1; }
done
for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null || true; done

clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c "$here/icmp_fragneeded_drop.bpf.c" -o "$work/drop.o"

for n in "${nss[@]}"; do ip netns add "$n"; ip -n "$n" link set lo up; done
x() { ip -n "$1" "${@:2}"; }
ip link add eth0 netns cbp-pod type veth peer name vethp netns cbp-n1
ip link add u1 netns cbp-n1 type veth peer name u2 netns cbp-n2
ip link add vethc netns cbp-n2 type veth peer name eth0 netns cbp-cli
x cbp-pod addr add 10.55.1.2/24 dev eth0;  x cbp-pod link set eth0 up
x cbp-pod route add default via 10.55.1.1
x cbp-n1 addr add 10.55.1.1/24 dev vethp;  x cbp-n1 link set vethp up
x cbp-n1 addr add 192.168.55.1/24 dev u1;  x cbp-n1 link set u1 up
x cbp-n2 addr add 192.168.55.2/24 dev u2;  x cbp-n2 link set u2 up
x cbp-n2 addr add 10.55.2.1/24 dev vethc;  x cbp-n2 link set vethc up
x cbp-cli addr add 10.55.2.2/24 dev eth0;  x cbp-cli link set eth0 up
x cbp-cli route add default via 10.55.2.1
x cbp-n1 link add vx0 type vxlan id 42 dstport 4789 local 192.168.55.1 remote 192.168.55.2 dev u1
x cbp-n2 link add vx0 type vxlan id 42 dstport 4789 local 192.168.55.2 remote 192.168.55.1 dev u2
x cbp-n1 addr add 10.55.0.1/24 dev vx0; x cbp-n1 link set vx0 up
x cbp-n2 addr add 10.55.0.2/24 dev vx0; x cbp-n2 link set vx0 up
x cbp-n1 route add 10.55.2.0/24 via 10.55.0.2 dev vx0
x cbp-n2 route add 10.55.1.0/24 via 10.55.0.1 dev vx0
for n in cbp-n1 cbp-n2; do ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1; done
# the pod's "hardening": drop ICMP frag-needed on ingress
ip netns exec cbp-pod tc qdisc add dev eth0 clsact
ip netns exec cbp-pod tc filter add dev eth0 ingress bpf direct-action obj "$work/drop.o" sec tc

ip netns exec cbp-pod python3 "$lab/http_serve.py" 8080 &
srv=$!
sleep 1

small=http://10.55.1.2:8080/small
large=http://10.55.1.2:8080/large
mix="$small,$small,$small,$small,$small,$small,$small,$small,$small,$large"

# packets: one small and one large request before the fix, captured on the node side of the pod's veth
ip netns exec cbp-n1 dumpcap -q -i vethp -f "host 10.55.1.2" -w "$work/cap.pcapng" -a duration:4 2>/dev/null &
cap=$!
sleep 1
ip netns exec cbp-cli python3 "$lab/http_load.py" "$small,$large" 2 1 0 "$work/cap.csv"
wait "$cap" || true
editcap -F pcap "$work/cap.pcapng" "$here/blackhole.pcap"
# the pod's route cache with and without the ICMP drop: only a delivered frag-needed creates a PMTU entry
{
  echo "\$ ip -n cbp-n1 link show vx0; ip -n cbp-pod link show eth0"
  x cbp-n1 -o link show vx0 | grep -o 'vx0:.*mtu [0-9]*'
  x cbp-pod -o link show eth0 | grep -o 'eth0@[^:]*:.*mtu [0-9]*'
  echo "\$ ip -n cbp-pod route get 10.55.2.2   # after a /large request, frag-needed dropped by tc"
  x cbp-pod route get 10.55.2.2
  ip netns exec cbp-pod tc filter del dev eth0 ingress
  ip netns exec cbp-cli python3 "$lab/http_load.py" "$large" 1 1 0 "$work/probe.csv"
  echo "\$ ip -n cbp-pod route get 10.55.2.2   # same request with the tc filter removed"
  x cbp-pod route get 10.55.2.2
  echo "# /large with the filter removed: $(tail -1 "$work/probe.csv" | cut -d, -f2 | sed 's/0/succeeded/;s/1/failed/')"
} > "$here/pmtu_probe.txt"
ip netns exec cbp-pod tc filter add dev eth0 ingress bpf direct-action obj "$work/drop.o" sec tc
x cbp-pod route flush cache

phase() {  # $1 = before|after: perf over the client's process tree (the kernel's TCP work in its context)
  perf record -q -e cpu-clock -F 999 -g -o "$work/$1.data" -- \
    ip netns exec cbp-cli python3 "$lab/http_load.py" "$mix" 400 1 0 "$here/latency_$1.csv" >/dev/null 2>&1
  perf script -i "$work/$1.data" 2>/dev/null | python3 "$lab/collapse_perf.py" > "$here/client_$1.folded"
}
phase before
# the fix: pod MTU = VXLAN MTU; the ICMP drop stays (the fix must not depend on ICMP)
x cbp-pod link set eth0 mtu 1450
x cbp-pod route flush cache
phase after
echo "reproduce.sh: done; now run: kb case check vxlan-pmtud-blackhole --fix-hashes"
