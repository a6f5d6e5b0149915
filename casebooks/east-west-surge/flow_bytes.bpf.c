// flow_bytes.bpf.c - per-flow packet and byte accounting on a link, never
// drop.
//
// During an east-west surge the first question is "which flow is it?".
// Interface counters only say that the link is full; this program keeps one
// entry per 5-tuple (source and destination address and port, protocol), so
// a single map dump names the flow that owns the link and its share.
//
// Attached with tc on the egress of the inter-node link, where the queue
// builds. Bytes are skb->len: the whole frame as the qdisc sees it,
// Ethernet header included, which is what occupies the link.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// IP protocol numbers (<linux/in.h> drags in glibc headers that do not
// build for the bpf target).
#define PROTO_TCP 6
#define PROTO_UDP 17

// The flow key. Addresses and ports stay in network byte order: converting
// costs instructions on every packet, and user space converts once when it
// prints. The explicit padding keeps the key free of uninitialised bytes,
// which would otherwise split one flow into several map entries.
struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

// What is counted per flow.
struct flow_val {
	__u64 packets;
	__u64 bytes;
};

// LRU: when more flows than entries appear (a scan, a connection storm) the
// coldest flows are evicted instead of new ones going uncounted - the big
// flows we are looking for are never the coldest.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flow_bytes SEC(".maps");

// SEC("tc"): a classifier (BPF_PROG_TYPE_SCHED_CLS) for tc direct-action.
SEC("tc")
int account_flow(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct flow_key key = {};

	// Only IPv4 is accounted; the verifier needs each check before its read.
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.proto = ip->protocol;

	// Ports for TCP and UDP (both start with source and destination port);
	// other protocols (ICMP) are one flow per address pair.
	// ihl counts 32-bit words and is at most 15, so the verifier can bound
	// the offset; a fragment other than the first has no ports, but that
	// cannot be told without reading frag_off, and a surge is not made of
	// fragments: accepted.
	void *l4 = (void *)ip + ip->ihl * 4;
	if (key.proto == PROTO_TCP || key.proto == PROTO_UDP) {
		struct udphdr *ports = l4;
		if ((void *)(ports + 1) > data_end)
			return TC_ACT_OK;
		key.sport = ports->source;
		key.dport = ports->dest;
	}

	// Look the flow up first: updating an existing entry in place is
	// cheaper than a map update on every packet.
	struct flow_val *v = bpf_map_lookup_elem(&flow_bytes, &key);
	if (v) {
		// Atomic adds: the same flow can be seen on two CPUs at once.
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, skb->len);
	} else {
		struct flow_val first = {.packets = 1, .bytes = skb->len};
		// BPF_NOEXIST: if another CPU created the entry meanwhile, its
		// count stands and this packet is lost from the total; accepted
		// for a diagnostic counter (one packet per new flow at most).
		bpf_map_update_elem(&flow_bytes, &key, &first, BPF_NOEXIST);
	}
	// Observe only: the verdict is always "continue".
	return TC_ACT_OK;
}

// GPL-compatible license, required by helpers available to tc programs.
char LICENSE[] SEC("license") = "GPL";
