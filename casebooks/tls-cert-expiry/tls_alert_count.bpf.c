// tls_alert_count.bpf.c - count TLS alert records per server and alert
// description, never drop.
//
// eBPF does not terminate TLS: this program has no keys and decrypts nothing.
// It reads the 5-byte TLS record header (content type, version, length) that
// precedes every record in clear text, and, for an alert record, the two
// alert bytes (level, description) that follow it. Those two bytes are only
// readable while the connection has no keys yet: in TLS 1.2 the client's
// alert after rejecting a certificate is still plaintext; in TLS 1.3 the
// certificate and the alert are both encrypted, and a record of type 23
// (application_data) is all this program would see.
//
// Attached with tc on the client's egress: the client is the side that
// rejects an expired certificate and sends alert 45 (certificate_expired).
//
// Limits, on purpose: the first record of each TCP segment only (an alert is
// sent alone, just before the FIN), IPv4 without options-dependent surprises
// (ihl is honoured), no reassembly.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// IP protocol number of TCP (<linux/in.h> drags in glibc headers that do not
// build for the bpf target).
#define PROTO_TCP 6
// TLS record content type 21 = alert (RFC 5246 section 6.2.1).
#define TLS_ALERT 21
// Record header (5 bytes) + alert level + alert description.
#define ALERT_BYTES 7

// One key per (server address, alert description): "which replica makes
// clients give up, and why".
struct alert_key {
	__u32 server;
	__u32 description;
};

// LRU, so a scan of many servers evicts old keys instead of failing updates.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct alert_key);
	__type(value, __u64);
} alerts SEC(".maps");

// SEC("tc"): a classifier (BPF_PROG_TYPE_SCHED_CLS) for tc direct-action.
SEC("tc")
int count_tls_alerts(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	// The verifier needs every bounds check below before the read it guards.
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->protocol != PROTO_TCP)
		return TC_ACT_OK;
	struct tcphdr *tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		return TC_ACT_OK;
	// doff is in 32-bit words; the payload starts after the TCP options.
	// The payload of a locally sent TCP segment sits in paged fragments,
	// beyond data_end: bpf_skb_load_bytes copies it out wherever it lives.
	__u32 off = sizeof(*eth) + ip->ihl * 4 + tcp->doff * 4;
	__u8 rec[ALERT_BYTES];
	if (bpf_skb_load_bytes(skb, off, rec, sizeof(rec)) < 0)
		return TC_ACT_OK;

	// An alert record: type 21, major version 3 (SSL 3.0 .. TLS 1.2 on the
	// wire), and exactly two bytes of body. An encrypted alert is longer
	// than 2 bytes and is deliberately not counted.
	if (rec[0] == TLS_ALERT && rec[1] == 3 && rec[3] == 0 && rec[4] == 2) {
		struct alert_key key = {
			.server = ip->daddr,
			.description = rec[6],
		};
		__u64 one = 1, *n = bpf_map_lookup_elem(&alerts, &key);

		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&alerts, &key, &one, BPF_NOEXIST);
	}
	// Observe only: the verdict is always "continue".
	return TC_ACT_OK;
}

// GPL-compatible license, required by helpers available to tc programs.
char LICENSE[] SEC("license") = "GPL";
