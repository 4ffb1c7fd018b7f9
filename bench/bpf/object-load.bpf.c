// The object bench/object-load.mjs loads: seven programs of six types (XDP,
// TC, socket filter, cgroup skb, cgroup connect4, tracepoint, raw tracepoint),
// five maps (hash, array, per-CPU array, LRU hash, ring buffer), .data, .bss
// and .rodata globals, a bpf-to-bpf subprogram shared by two programs, and a
// CO-RE read of task_struct (so both loaders consult the kernel's BTF).
// Built with: clang -O2 -g -target bpf -c object-load.bpf.c
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
} __attribute__((preserve_access_index));

struct event {
	__u32 pid;
	__u32 kind;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u32);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

__u64 packets = 1;
__u64 opens;
const volatile __u32 mark_value = 7;
const volatile __u32 max_len = 1500;

static __noinline __u64 bump(__u32 key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		return __sync_fetch_and_add(v, 1) + 1;
	bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 1;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	packets++;
	bump(ctx->ingress_ifindex);
	return XDP_PASS;
}

SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *limit = bpf_map_lookup_elem(&config, &k);
	if (skb->len > max_len || (limit && skb->len > *limit))
		return 2; // TC_ACT_SHOT
	skb->mark = mark_value;
	return 0;
}

SEC("socket")
int sock_len(struct __sk_buff *skb)
{
	__u32 k = skb->len & 3;
	__u64 *v = bpf_map_lookup_elem(&percpu, &k);
	if (v)
		*v += skb->len;
	return skb->len;
}

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
	__u64 key = ((__u64)skb->remote_ip4 << 32) | skb->local_port;
	__u32 one = 1;
	bpf_map_update_elem(&flows, &key, &one, BPF_ANY);
	return 1;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	bump(ctx->user_port);
	return 1;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_openat(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	opens++;
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->kind = 1;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("raw_tp/sched_switch")
int rawtp_switch(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u32 k = BPF_CORE_READ(t, real_parent, tgid);
	__u64 *v = bpf_map_lookup_elem(&percpu, &(__u32){ k & 3 });
	if (v)
		*v += BPF_CORE_READ(t, pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
