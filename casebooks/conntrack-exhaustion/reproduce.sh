#!/usr/bin/env bash
# Lab reproduction of the conntrack-exhaustion case (root; nft; iproute2 with tc+libbpf; clang; perf).
#
# Regenerates: conntrack_full.pcap, latency_before.csv, latency_after.csv, client_before.folded,
# client_after.folded, conntrack_stats.txt. Then run `kb case check conntrack-exhaustion --fix-hashes`.
#
# Two private namespaces joined by a veth: cbc-cli (10.56.0.2) and cbc-srv (10.56.0.1, HTTP :8080).
# An nftables rule in cbc-srv makes the kernel track connections there (conntrack only runs in a
# namespace that has a user of it). The conntrack table size nf_conntrack_max is a GLOBAL sysctl
# (read-only inside a namespace on this kernel): the script lowers it to 250 for the "before" phase
# and restores the original value on exit, whatever happens. The host namespace has no conntrack user,
# so only cbc-srv is affected by the low limit (the count is per namespace, the limit global).
# before: 500 short connections; each leaves a TIME_WAIT entry for 120 s, the table fills at 250
#         and every later SYN is dropped ("nf_conntrack: table full, dropping packet").
# after:  the fix - nf_conntrack_max restored to a size computed for the connection rate - and a
#         fresh server namespace; the same 500 connections all succeed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lab="$root/casebooks/_lab"
work=$(mktemp -d)
orig_max=$(sysctl -n net.netfilter.nf_conntrack_max)
srv=""

cleanup() {
  sysctl -qw net.netfilter.nf_conntrack_max="$orig_max" || true
  [ -n "$srv" ] && kill "$srv" 2>/dev/null || true
  ip netns del cbc-cli 2>/dev/null || true
  ip netns del cbc-srv 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "reproduce.sh: run as root (netns, nft, sysctl, perf)" >&2; exit 1; }
for t in clang tc nft perf dumpcap editcap python3 ip; do
  command -v "$t" >/dev/null || { echo "reproduce.sh: $t is missing (see tools/setup/setup.sh)" >&2; exit 1; }
done
clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c "$here/syn_counter.bpf.c" -o "$work/syn.o"

setup() {
  ip netns del cbc-cli 2>/dev/null || true
  ip netns del cbc-srv 2>/dev/null || true
  ip netns add cbc-cli; ip netns add cbc-srv
  ip link add eth0 netns cbc-cli type veth peer name eth0 netns cbc-srv
  ip -n cbc-cli addr add 10.56.0.2/24 dev eth0; ip -n cbc-cli link set eth0 up; ip -n cbc-cli link set lo up
  ip -n cbc-srv addr add 10.56.0.1/24 dev eth0; ip -n cbc-srv link set eth0 up; ip -n cbc-srv link set lo up
  ip netns exec cbc-srv nft -f - <<'NFT'
table inet track {
  chain input {
    type filter hook input priority 0; policy accept;
    ct state established,related accept
    ct state new counter accept
  }
}
NFT
  ip netns exec cbc-srv tc qdisc add dev eth0 clsact
  ip netns exec cbc-srv tc filter add dev eth0 ingress bpf direct-action obj "$work/syn.o" sec tc
  ip netns exec cbc-srv python3 "$lab/http_serve.py" 8080 &
  srv=$!
  sleep 1
}
stats() {  # $1 = heading
  echo "# $1"
  echo "\$ ip netns exec cbc-srv sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max"
  ip netns exec cbc-srv sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max
  echo "\$ ip netns exec cbc-srv awk '{print \$1, \$5, \$9, \$11}' /proc/net/stat/nf_conntrack   # cpu rows, hex"
  ip netns exec cbc-srv awk '{print $1, $5, $9, $11}' /proc/net/stat/nf_conntrack | sed 's/^entries/(entries)/'
}
load() {  # $1 = side
  perf record -q -e cpu-clock -F 999 -g -o "$work/$1.data" -- \
    ip netns exec cbc-cli python3 "$lab/http_load.py" http://10.56.0.1:8080/small 500 0.5 0 "$here/latency_$1.csv" \
    >/dev/null 2>&1
  perf script -i "$work/$1.data" 2>/dev/null | python3 "$lab/collapse_perf.py" > "$here/client_$1.folded"
}

# before: a table of 300 entries
sysctl -qw net.netfilter.nf_conntrack_max=250
setup
ip netns exec cbc-srv dumpcap -q -i eth0 -f "tcp port 8080" -w "$work/cap.pcapng" -a duration:600 2>/dev/null &
cap=$!
sleep 1
load before
# the capture ends once the table is full and a few SYNs have been dropped: keep it small
kill -INT "$cap"; wait "$cap" || true
editcap -F pcap -r "$work/cap.pcapng" "$work/all.pcap" 1-100000 >/dev/null
{ stats "before the fix (nf_conntrack_max lowered to 250 for the lab)"; } > "$here/conntrack_stats.txt"
kill "$srv"; srv=""

# after: the fix
sysctl -qw net.netfilter.nf_conntrack_max="$orig_max"
setup
load after
{ echo; stats "after the fix (nf_conntrack_max back to $orig_max)"; } >> "$here/conntrack_stats.txt"
# keep the last 2 successful connections before the table filled and the first failing SYNs
python3 - "$work/all.pcap" "$here/conntrack_full.pcap" <<'PY'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
head, off, recs = raw[:24], 24, []
while off + 16 <= len(raw):
    incl = struct.unpack_from("<IIII", raw, off)[2]
    recs.append(raw[off:off + 16 + incl]); off += 16 + incl
def tcp(rec):
    pkt = rec[16:]
    ihl = (pkt[14] & 0x0F) * 4
    sport, dport = struct.unpack_from("!HH", pkt, 14 + ihl)
    return pkt[14 + ihl + 13], sport, dport
# the first SYN that never got a SYN-ACK: the first packet conntrack dropped
answered = {dport for flags, sport, dport in map(tcp, recs) if flags == 0x12}
first = next((i for i, r in enumerate(recs) if tcp(r)[0] == 0x02 and tcp(r)[1] not in answered), len(recs))
keep = recs[max(0, first - 40):first + 30]
open(dst, "wb").write(head + b"".join(keep))
PY
echo "reproduce.sh: done; now run: kb case check conntrack-exhaustion --fix-hashes"
