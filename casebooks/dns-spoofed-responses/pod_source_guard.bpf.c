// pod_source_guard.bpf.c - drop every packet a pod sends with a source
// address that is not its own (IPv4 and ARP).
//
// The DNS hijack in this case needs one thing from the attacker's pod: a UDP
// datagram whose IP source is the resolver's address. Any pod can build one
// with a raw socket (CAP_NET_RAW is in the default container capability
// set). Source-address validation at the pod's own port stops it where it
// enters the network, before any client can see it - the check that CNIs
// such as Cilium apply to pod traffic by default, and that this cluster's
// bridge-based CNI did not have.
//
// Attached with tc on the host side of the pod's veth, direction ingress
// (packets coming FROM the pod). The pod's address is a compile-time
// constant here; a CNI would look it up in a map keyed by interface.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// 10.59.0.66, the attacker pod of the lab, in host byte order; override with
// -DPOD_IP=0x...
#ifndef POD_IP
#define POD_IP 0x0A3B0042
#endif

// An ARP packet for IPv4 over Ethernet (RFC 826): the fixed header, then
// sender MAC, sender IP, target MAC, target IP. Spelled here because
// linux/if_arp.h pulls in glibc headers that do not build for the bpf target.
struct arp_eth_ipv4 {
	__be16 ar_hrd;
	__be16 ar_pro;
	__u8 ar_hln;
	__u8 ar_pln;
	__be16 ar_op;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
} __attribute__((packed));

// Why a packet was dropped: 0 = spoofed IPv4 source, 1 = spoofed ARP sender,
// 2 = malformed or other protocol. One counter per CPU and reason, read with
// `bpftool map dump name guard_drops`.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} guard_drops SEC(".maps");

// Count the drop under its reason and return the verdict TC_ACT_SHOT (2).
static __always_inline int drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&guard_drops, &reason);

	if (n)
		*n += 1;
	return TC_ACT_SHOT;
}

// SEC("tc"): a classifier (BPF_PROG_TYPE_SCHED_CLS) for tc direct-action.
SEC("tc")
int pod_source_guard(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	// A frame too short for an Ethernet header is malformed.
	if ((void *)(eth + 1) > data_end)
		return drop(2);

	// IPv4: the resolver's address in the source field is exactly what the
	// spoofed DNS answers carried. The IP header is read in place; only the
	// 20 fixed bytes are needed, so IP options do not matter.
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return drop(2);
		// The whole check: the pod may only speak with its own address.
		if (ip->saddr != bpf_htonl(POD_IP))
			return drop(0);
		return TC_ACT_OK;
	}
	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		struct arp_eth_ipv4 *arp = (void *)(eth + 1);
		if ((void *)(arp + 1) > data_end)
			return drop(2);
		// ARP spoofing is the other way to steal the resolver's address
		// on a shared segment: the sender IP must be the pod's too.
		// spa is not 4-byte aligned in the frame: copy it before comparing.
		__u32 spa;
		__builtin_memcpy(&spa, arp->spa, 4);
		if (spa != bpf_htonl(POD_IP))
			return drop(1);
		return TC_ACT_OK;
	}
	// The pod has no IPv6 address in this network: anything else is dropped
	// (a CNI checks the pod's IPv6 source the same way when it has one).
	return drop(2);
}

// GPL-compatible license, required by helpers available to tc programs.
char LICENSE[] SEC("license") = "GPL";
