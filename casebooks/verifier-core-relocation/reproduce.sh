#!/usr/bin/env bash
# Lab reproduction of the verifier-core-relocation case on one machine (root, kernel with BTF).
#
# Regenerates: verifier_v1.log, scrape.pcap, scrape_before.csv, scrape_after.csv,
# agent_before.folded, agent_after.folded. Then run `kb case check verifier-core-relocation --fix-hashes`.
#
# What it does, bounded and idempotent:
#   1. vmlinux.h from this kernel's BTF; clang compiles offcpu_v1 (as shipped) and offcpu_v2 (fixed).
#   2. v1 through `bpftool prog load`: the verifier log of the rejection is kept verbatim.
#   3. In a private network namespace (cbv6), the "agent" is played twice while a scraper polls
#      127.0.0.1:9435 inside that namespace: before = v1 crash loop (load fails, nothing listens),
#      after = v2 loads, the exporter listens. perf records each phase's CPU stacks; dumpcap
#      captures three scrapes of each phase on the namespace's loopback.
# All traffic stays inside cbv6; the namespace and bpffs pins are removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lab="$root/casebooks/_lab"
ns=cbv6
pin=/sys/fs/bpf/cbv6_offcpu
work=$(mktemp -d)
pids=()

cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -f "$pin"
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "reproduce.sh: run as root (bpf(), netns, perf)" >&2; exit 1; }
for t in clang bpftool perf dumpcap python3 ip; do
  command -v "$t" >/dev/null || { echo "reproduce.sh: $t is missing (see tools/setup/setup.sh)" >&2; exit 1; }
done
ip netns del "$ns" 2>/dev/null || true
rm -f "$pin"

# 1. compile both versions against this kernel's BTF
bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$work/vmlinux.h"
for v in v1 v2; do
  clang -O2 -g -target bpf -I"$work" -c "$here/offcpu_$v.bpf.c" -o "$work/offcpu_$v.o"
done

# 2. the rejection, verbatim (bpftool exits non-zero: that is the point)
if bpftool prog load "$work/offcpu_v1.o" "$pin" > "$work/v1.log" 2>&1; then
  echo "reproduce.sh: offcpu_v1 LOADED: this kernel still has task_struct.state?" >&2; exit 1
fi
# keep the verifier's part; drop the timing line, whose microseconds differ on every run
sed -e '/^verification time/d' "$work/v1.log" > "$here/verifier_v1.log"
bpftool prog load "$work/offcpu_v2.o" "$pin"
rm -f "$pin"

ip netns add "$ns"
ip -n "$ns" link set lo up

# the agent as run by its supervisor: v1 crash-loops (bounded), v2 loads and then serves /metrics
cat > "$work/agent_v1.sh" <<AGENT
#!/usr/bin/env bash
for i in \$(seq 1 40); do
  bpftool prog load "$work/offcpu_v1.o" "$pin" >/dev/null 2>&1 || true
  sleep 0.1
done
AGENT
cat > "$work/agent_v2.sh" <<AGENT
#!/usr/bin/env bash
bpftool prog load "$work/offcpu_v2.o" "$pin"
ip netns exec $ns python3 "$lab/http_serve.py" 9435 127.0.0.1 &
srv=\$!
sleep 13
kill \$srv
rm -f "$pin"
AGENT
chmod +x "$work"/agent_v*.sh
scrape() { ip netns exec "$ns" python3 "$lab/http_load.py" http://127.0.0.1:9435/metrics "$@"; }

# 3a. packets: three scrapes while nothing listens, then three while v2's exporter listens
ip netns exec "$ns" dumpcap -q -i lo -f "tcp port 9435" -w "$work/scrape.pcapng" -a duration:6 &
pids+=($!)
sleep 1.5
scrape 3 1 0.2 "$work/cap_before.csv"
ip netns exec "$ns" python3 "$lab/http_serve.py" 9435 127.0.0.1 &
pids+=($!)
sleep 0.5
scrape 3 1 0.2 "$work/cap_after.csv"
wait "${pids[0]}" || true
kill "${pids[1]}" 2>/dev/null || true
pids=()
# dumpcap writes pcapng; the case keeps classic pcap (what every tool reads)
editcap -F pcap "$work/scrape.pcapng" "$here/scrape.pcap"

# 3b. before: perf on the crash-looping agent, scraper polling at the same time
scrape 400 1 0.02 "$here/scrape_before.csv" &
pids+=($!)
perf record -q -e cpu-clock -F 999 -g -o "$work/before.data" -- "$work/agent_v1.sh" >/dev/null 2>&1
wait "${pids[0]}"; pids=()
# 3c. after: the fixed agent loads once and serves
( sleep 2; scrape 400 1 0.02 "$here/scrape_after.csv" ) &
pids+=($!)
perf record -q -e cpu-clock -F 999 -g -o "$work/after.data" -- "$work/agent_v2.sh" >/dev/null 2>&1
wait "${pids[0]}"; pids=()

for side in before after; do
  perf script -i "$work/$side.data" 2>/dev/null | python3 "$lab/collapse_perf.py" > "$here/agent_$side.folded"
done
echo "reproduce.sh: done; now run: kb case check verifier-core-relocation --fix-hashes"
