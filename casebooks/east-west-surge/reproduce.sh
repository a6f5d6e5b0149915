#!/usr/bin/env bash
# Lab reproduction of the east-west-surge case (root; iproute2 with tc+libbpf; clang; bpftool; perf).
#
# Regenerates: surge.pcap, latency_before.csv, latency_after.csv, db_before.folded, db_after.folded,
# flows.txt. Then run `kb case check east-west-surge --fix-hashes`.
#
# Five private namespaces, two "nodes" joined by one shaped link:
#   cbe-db     10.60.1.2   the database pod: HTTP :8080 (small answers) and a bulk export :9000
#     | veth
#   cbe-na     node A: 10.60.1.1 ; link la 192.168.60.1  <- tbf 50 Mbit/s, 600 KB queue (the
#     | veth link                                             inter-node link and its buffer)
#   cbe-nb     node B: link lb 192.168.60.2 ; 10.60.2.1 (web) ; 10.60.3.1 (batch)
#     | veth        | veth
#   cbe-web  10.60.2.2      cbe-batch 10.60.3.2
# flow_bytes.bpf.c counts packets and bytes per flow on tc egress of la, where the queue builds.
# before: the batch pod's export job pulls from :9000 over 8 parallel streams as fast as TCP allows
#         (each stream's window adds to the link queue); the web pod's small
#         requests to :8080 wait behind the export's data in the link queue.
# after:  the fix - the batch pod's bandwidth limited to 20 Mbit/s at its own port (what the
#         Kubernetes bandwidth plugin does with tbf) - moves the queue to the batch pod's port.
# Bounded: 400 requests per phase (1 s timeout), export phases end with them; namespaces removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
nss=(cbe-db cbe-na cbe-nb cbe-web cbe-batch)
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
lab="$here/../_lab"
ew="$here/ew_lab.py"
for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null || true; done
clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c "$here/flow_bytes.bpf.c" -o "$work/flow.o"

for n in "${nss[@]}"; do
  ip netns add "$n"; ip -n "$n" link set lo up
  ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
x() { ip -n "$1" "${@:2}"; }
ip link add eth0 netns cbe-db type veth peer name vdb netns cbe-na
ip link add la netns cbe-na type veth peer name lb netns cbe-nb
ip link add vweb netns cbe-nb type veth peer name eth0 netns cbe-web
ip link add vbatch netns cbe-nb type veth peer name eth0 netns cbe-batch
x cbe-db addr add 10.60.1.2/24 dev eth0;      x cbe-db link set eth0 up;      x cbe-db route add default via 10.60.1.1
x cbe-na addr add 10.60.1.1/24 dev vdb;       x cbe-na link set vdb up
x cbe-na addr add 192.168.60.1/24 dev la;     x cbe-na link set la up;        x cbe-na route add 10.60.0.0/16 via 192.168.60.2
x cbe-nb addr add 192.168.60.2/24 dev lb;     x cbe-nb link set lb up;        x cbe-nb route add 10.60.1.0/24 via 192.168.60.1
x cbe-nb addr add 10.60.2.1/24 dev vweb;      x cbe-nb link set vweb up
x cbe-nb addr add 10.60.3.1/24 dev vbatch;    x cbe-nb link set vbatch up
x cbe-web addr add 10.60.2.2/24 dev eth0;     x cbe-web link set eth0 up;     x cbe-web route add default via 10.60.2.1
x cbe-batch addr add 10.60.3.2/24 dev eth0;   x cbe-batch link set eth0 up;   x cbe-batch route add default via 10.60.3.1
for n in cbe-na cbe-nb; do ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1; done
# the inter-node link: 50 Mbit/s with a 600 KB FIFO (about 100 ms of queue when full)
ip netns exec cbe-na tc qdisc add dev la root tbf rate 50mbit burst 32kb limit 600kb
ip netns exec cbe-na tc qdisc add dev la clsact
ip netns exec cbe-na tc filter add dev la egress bpf direct-action obj "$work/flow.o" sec tc

ip netns exec cbe-db python3 "$lab/http_serve.py" 8080 & pids+=($!); http_pid=$!
ip netns exec cbe-db python3 "$ew" bulk-serve 9000 & pids+=($!); bulk_pid=$!
sleep 1

phase() {  # $1 = before|after: the export runs for the whole phase; perf samples the db pod's processes
  ip netns exec cbe-batch python3 "$ew" bulk-get 10.60.1.2 9000 120 8 > "$work/bulk_$1.txt" & local get=$!
  sleep 2  # let the export reach its steady state
  perf record -q -e cpu-clock -F 999 -g -p "$http_pid,$bulk_pid" -o "$work/$1.data" -- sleep 8 >/dev/null 2>&1 &
  local rec=$!
  ip netns exec cbe-web python3 "$lab/http_load.py" http://10.60.1.2:8080/small 400 1 0 "$here/latency_$1.csv"
  wait "$rec" || true
  perf script -i "$work/$1.data" 2>/dev/null | python3 "$lab/collapse_perf.py" > "$here/db_$1.folded"
  {
    echo "\$ ip netns exec cbe-na tc -s qdisc show dev la   # end of the $1 phase"
    ip netns exec cbe-na tc -s qdisc show dev la | grep -A3 '^qdisc tbf'
  } >> "$work/flows.txt"
  kill "$get" 2>/dev/null || true; wait "$get" 2>/dev/null || true
}

# packets: a few of the web pod's requests during the export, seen on the web pod's node-side port
ip netns exec cbe-batch python3 "$ew" bulk-get 10.60.1.2 9000 6 8 >/dev/null &
g=$!
sleep 2
ip netns exec cbe-nb dumpcap -q -i vweb -f "tcp port 8080" -w "$work/cap.pcapng" -a duration:3 2>/dev/null &
cap=$!
sleep 1
ip netns exec cbe-web python3 "$lab/http_load.py" http://10.60.1.2:8080/small 3 1 0 "$work/cap.csv"
wait "$cap" || true; wait "$g" || true
editcap -F pcap "$work/cap.pcapng" "$here/surge.pcap" >/dev/null
sleep 1
bpftool map dump name flow_bytes > /dev/null  # the map exists: the program is attached

: > "$work/flows.txt"
phase before
{
  echo "\$ bpftool -j map dump name flow_bytes | ew_lab.py flows 10   # the largest flows since the start"
  bpftool -j map dump name flow_bytes | python3 "$ew" flows 10
  echo
} > "$here/flows.txt"
cat "$work/flows.txt" >> "$here/flows.txt"; : > "$work/flows.txt"
# the fix: the batch pod's bandwidth limit, on the node-side port of the batch pod (its ingress)
ip netns exec cbe-nb tc qdisc add dev vbatch root tbf rate 20mbit burst 32kb limit 600kb
phase after
{ echo; cat "$work/flows.txt"; } >> "$here/flows.txt"
echo "reproduce.sh: done; now run: kb case check east-west-surge --fix-hashes"
