// The object scripts/code-cache/train.mjs loads to train the V8 code cache: it
// exists to make a load call the functions a typical libbpf-style object
// calls (BTF-defined maps of several kinds, an inner map, global data, a
// subprogram, CO-RE reads of kernel structs, programs of several types), so
// their bytecode lands in the cache. It is not the benchmark's object.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *parent;
} __attribute__((preserve_access_index));

struct stat {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct stat);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u64);
} per_cpu SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = { .values = { &inner_a } };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 14);
} ring SEC(".maps");

__u32 seen = 3;
__u64 total;
const volatile __u32 verdict = 2;

static __noinline int account(__u32 key, __u32 len)
{
	struct stat zero = {}, *s = bpf_map_lookup_elem(&stats, &key);
	if (!s) {
		bpf_map_update_elem(&stats, &key, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&stats, &key);
		if (!s)
			return 0;
	}
	s->packets++;
	s->bytes += len;
	total += len;
	return 1;
}

SEC("tc")
int tc_account(struct __sk_buff *skb)
{
	__u32 k = 0, *inner_map = bpf_map_lookup_elem(&outer, &k);
	seen++;
	account(skb->protocol, skb->len);
	return inner_map ? verdict : 0;
}

SEC("xdp")
int xdp_account(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	account(ctx->ingress_ifindex, len);
	bpf_ringbuf_output(&ring, &len, sizeof(len), 0);
	return XDP_PASS;
}

SEC("socket")
int sock_keep(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("tp_btf/sched_process_exec")
int exec_event(__u64 *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task_btf();
	__u64 key = BPF_CORE_READ(t, parent, tgid);
	__u64 one = 1;
	__u32 *e;
	if (bpf_core_field_exists(t->pid))
		bpf_map_update_elem(&per_cpu, &key, &one, BPF_ANY);
	e = bpf_ringbuf_reserve(&ring, sizeof(*e), 0);
	if (e) {
		*e = BPF_CORE_READ(t, pid);
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
