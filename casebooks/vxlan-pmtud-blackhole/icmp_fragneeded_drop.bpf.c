// icmp_fragneeded_drop.bpf.c - the "ICMP hardening" rule that caused the black hole.
//
// Attached with tc on the INGRESS of the pod's interface. It drops exactly one
// kind of packet: ICMPv4 type 3 (destination unreachable) code 4
// ("fragmentation needed and DF set"), the message Path MTU Discovery
// (RFC 1191) depends on. Everything else passes.
//
// Why this is harmful: when a router (here the node forwarding into its VXLAN
// device) cannot forward a DF packet because it is larger than the next hop's
// MTU, this ICMP message is the ONLY signal the sender gets. Without it the
// sender keeps retransmitting the same too-large segment, the connection
// stalls after the handshake, and small requests still succeed: the classic
// PMTUD black hole.
//
// Return values are tc verdicts: TC_ACT_OK (0) lets the packet continue,
// TC_ACT_SHOT (2) drops it.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// <linux/icmp.h> drags in glibc's socket headers, which do not build for the
// bpf target; the four bytes this program reads are declared here instead.
struct icmp_head {
	__u8 type;
	__u8 code;
	__sum16 checksum;
};
// RFC 792 numbers: type 3 = destination unreachable, code 4 = frag needed.
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
// IP protocol number of ICMP (<linux/in.h> has the same glibc problem).
#define IPPROTO_ICMP 1

SEC("tc")
int drop_frag_needed(struct __sk_buff *skb)
{
	// Direct packet access: data/data_end bound every read, and the verifier
	// rejects any access it cannot prove to be inside them.
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	// Too short for an Ethernet header: not ours to judge.
	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;

	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	if (ip->protocol != IPPROTO_ICMP)
		return TC_ACT_OK;

	// ihl counts 32-bit words; options may follow the fixed 20 bytes.
	struct icmp_head *icmp = (void *)ip + ip->ihl * 4;
	if ((void *)(icmp + 1) > data_end)
		return TC_ACT_OK;

	// The one message PMTUD needs: type 3, code 4.
	if (icmp->type == ICMP_DEST_UNREACH && icmp->code == ICMP_FRAG_NEEDED)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

// tc programs may use GPL-only helpers only with a GPL-compatible license.
char LICENSE[] SEC("license") = "GPL";
