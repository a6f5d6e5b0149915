// syn_counter.bpf.c - count connection attempts per source, never drop.
//
// Attached with tc on the server's ingress during the incident to answer one
// question: who opens new TCP connections, and how fast? Each conntrack entry
// is created by the first packet of a flow (for TCP, the SYN), and a closed
// connection keeps its entry for nf_conntrack_tcp_timeout_time_wait (120 s by
// default). The table therefore fills at (new connections per second) x 120 s,
// whatever the number of connections open at any moment.
//
// The program is an observer: every path returns TC_ACT_OK (0). The unit
// tests (BPF_PROG_TEST_RUN) check exactly that on SYN, SYN-ACK, data and ARP.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// IP protocol number of TCP (<linux/in.h> pulls glibc headers that do not
// build for the bpf target).
#define PROTO_TCP 6

// Source IPv4 address -> SYNs seen. LRU: a scan from many sources evicts old
// keys instead of failing the update, so the counter can never become the
// next table to overflow.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} syns_by_source SEC(".maps");

// SEC("tc") puts the function in the section libbpf and tc recognise as a
// classifier program (BPF_PROG_TYPE_SCHED_CLS).
SEC("tc")
int count_syn(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	// Every bounds check below is required by the verifier before the read.
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	// The IPv4 header follows the Ethernet header directly (no VLAN here).
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->protocol != PROTO_TCP)
		return TC_ACT_OK;
	struct tcphdr *tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		return TC_ACT_OK;

	// A connection attempt is SYN without ACK; SYN-ACK is the answer.
	if (tcp->syn && !tcp->ack) {
		__u32 src = ip->saddr;
		__u64 one = 1, *n = bpf_map_lookup_elem(&syns_by_source, &src);

		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&syns_by_source, &src, &one, BPF_NOEXIST);
	}
	// Observe only: the verdict is always "continue".
	return TC_ACT_OK;
}

// GPL-compatible license: required for several helpers used by tc programs.
char LICENSE[] SEC("license") = "GPL";
