#!/usr/bin/env bash
# Lab reproduction of the tls-cert-expiry case (root; openssl; iproute2 with tc+libbpf; clang; perf).
#
# Regenerates: handshakes.pcap, latency_before.csv, latency_after.csv, client_before.folded,
# client_after.folded, cert_dates.txt. Then run `kb case check tls-cert-expiry --fix-hashes`.
#
# Two private namespaces joined by a veth: cbt-cli (10.58.0.2) and cbt-srv, which holds four
# "ingress replicas" 10.58.0.11-14, each an HTTPS server on :443 (casebooks/tls-cert-expiry/tls_lab.py).
# A private CA signs two server certificates with the four IPs as subjectAltName: one that expired
# an hour ago (notAfter = now - 1 h) and its renewal (valid for 90 days).
# before: replica .13 still serves the expired certificate (it missed the reload); the client, which
#         verifies the chain, aborts every handshake with it with a certificate_expired alert.
# after:  all four replicas serve the renewed certificate.
# tls_alert_count.bpf.c observes the client's egress with tc and counts TLS alerts per server and
# alert description. Bounded: 400 requests per phase, 1 s timeout each; namespaces removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del cbt-cli 2>/dev/null || true
  ip netns del cbt-srv 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "reproduce.sh: run as root (netns, tc, perf)" >&2; exit 1; }
for t in openssl clang tc bpftool perf dumpcap editcap python3 ip; do
  command -v "$t" >/dev/null || { echo "reproduce.sh: $t is missing (see tools/setup/setup.sh)" >&2; exit 1; }
done
lab_py="$here/tls_lab.py"
collapse="$here/../_lab/collapse_perf.py"

# --- certificates: a private CA, an expired server certificate and its renewal -------------------
cd "$work"
cat > ca.cnf <<'CNF'
[ca]
default_ca = lab
[lab]
dir = .
database = index.txt
serial = serial
new_certs_dir = .
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = server
unique_subject = no
[any]
commonName = supplied
[server]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:10.58.0.11, IP:10.58.0.12, IP:10.58.0.13, IP:10.58.0.14
CNF
: > index.txt; echo 1000 > serial
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -days 3650 -subj "/CN=Lab Ingress CA" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
  -subj "/CN=api.lab.internal" 2>/dev/null
ts() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in srv.csr -out expired.pem -notext \
  -startdate "$(ts '-90 days -1 hour')" -enddate "$(ts '-1 hour')" 2>/dev/null
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in srv.csr -out renewed.pem -notext \
  -startdate "$(ts '-1 day')" -enddate "$(ts '+90 days')" 2>/dev/null
{
  echo "\$ openssl x509 -noout -serial -startdate -enddate -in expired.pem   # served by replica .13 before the fix"
  openssl x509 -noout -serial -startdate -enddate -in expired.pem
  echo "\$ openssl x509 -noout -serial -startdate -enddate -in renewed.pem   # the renewal"
  openssl x509 -noout -serial -startdate -enddate -in renewed.pem
  echo "\$ openssl verify -CAfile ca.pem expired.pem"
  openssl verify -CAfile ca.pem expired.pem 2>&1 | sed "s#$work/##" || true
  echo "\$ openssl verify -CAfile ca.pem renewed.pem"
  openssl verify -CAfile ca.pem renewed.pem 2>&1 | sed "s#$work/##"
} > "$here/cert_dates.txt"
cd "$here"

# --- network -------------------------------------------------------------------------------------
ip netns del cbt-cli 2>/dev/null || true
ip netns del cbt-srv 2>/dev/null || true
ip netns add cbt-cli; ip netns add cbt-srv
ip link add eth0 netns cbt-cli type veth peer name eth0 netns cbt-srv
ip -n cbt-cli addr add 10.58.0.2/24 dev eth0
for i in 11 12 13 14; do ip -n cbt-srv addr add "10.58.0.$i/24" dev eth0; done
for n in cbt-cli cbt-srv; do ip -n "$n" link set eth0 up; ip -n "$n" link set lo up; done
clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c "$here/tls_alert_count.bpf.c" -o "$work/alert.o"
ip netns exec cbt-cli tc qdisc add dev eth0 clsact
ip netns exec cbt-cli tc filter add dev eth0 egress bpf direct-action obj "$work/alert.o" sec tc

start() {  # $1 = certificate for replica .13
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pids=()
  for i in 11 12 13 14; do
    cert="$work/renewed.pem"; [ "$i" = 13 ] && cert="$1"
    ip netns exec cbt-srv python3 "$lab_py" serve "10.58.0.$i" 443 "$cert" "$work/srv.key" &
    pids+=($!)
  done
  sleep 1
}
urls=https://10.58.0.11/,https://10.58.0.12/,https://10.58.0.13/,https://10.58.0.14/

phase() {  # $1 = before|after
  perf record -q -e cpu-clock -F 999 -g -o "$work/$1.data" -- \
    ip netns exec cbt-cli python3 "$lab_py" load "$urls" 400 "$work/ca.pem" "$here/latency_$1.csv" >/dev/null 2>&1
  perf script -i "$work/$1.data" 2>/dev/null | python3 "$collapse" > "$here/client_$1.folded"
}

start "$work/expired.pem"
# packets: one handshake with the stale replica (.13), then one with a good replica (.12); the
# failing one first, so that its frame numbers do not depend on how the other connection closes
ip netns exec cbt-srv dumpcap -q -i eth0 -f "tcp port 443" -w "$work/cap.pcapng" -a duration:4 2>/dev/null &
cap=$!
sleep 1
ip netns exec cbt-cli python3 "$lab_py" load https://10.58.0.13/,https://10.58.0.12/ 2 "$work/ca.pem" "$work/cap.csv"
wait "$cap" || true
editcap -F pcap "$work/cap.pcapng" "$here/handshakes.pcap" >/dev/null
phase before
{
  echo
  echo "\$ bpftool map dump name alerts   # after the before phase: key = server, alert description"
  bpftool map dump name alerts
  # the key's server is the IPv4 address in network byte order, printed as a host-order integer
  bpftool -j map dump name alerts | python3 "$lab_py" alerts
} >> "$here/cert_dates.txt"
# the fix: the stale replica reloads and serves the renewed certificate
start "$work/renewed.pem"
phase after
echo "reproduce.sh: done; now run: kb case check tls-cert-expiry --fix-hashes"
