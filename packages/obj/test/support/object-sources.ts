// C sources of the BPF objects the object-parser tests compile (see object-cc.ts).

/** Maps of every flavour, global data, and a call graph to link. */
export const RICH = `
#include <bpf/bpf_core_read.h>
struct xdp_md { __u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64); __uint(max_entries, 128);
         __uint(map_flags, BPF_F_NO_PREALLOC); __uint(pinning, LIBBPF_PIN_BY_NAME); } counts SEC(".maps");
struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u32); __uint(max_entries, 4); } in1 SEC(".maps"), in2 SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner); }
  outer SEC(".maps") = { .values = { [1] = &in2 } };
struct { __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS); __uint(max_entries, 8); __type(key, __u32);
         __array(values, struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(key_size, 4); __uint(value_size, 16); __uint(max_entries, 1); }); } hom SEC(".maps");
int tail(void *ctx);
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, __u32); __array(values, int (void *)); }
  jt SEC(".maps") = { .values = { [2] = (void *)&tail } };
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
struct { __uint(type, 30); __type(value, __u32); __uint(max_entries, 64); enum { bloom_hashes = 3 } map_extra; } bloom SEC(".maps");

int gdata = 7;
const volatile int cfg = 3;
const volatile __u64 big = 0x1122334455667788ULL;
static int sdata[4] = { 1, 2, 3, 4 };
long bssv;
int custom SEC(".data.custom") = 42;
__hidden int hid SEC(".data.hid") = 5;
static volatile int only_static SEC(".data.stat") = 9;

static __attribute__((noinline)) int add1(int x) { return x + sdata[x & 3] + only_static; }
static __attribute__((noinline)) int add2(int x) { return add1(x) * 2; }
__attribute__((noinline)) int gfunc(int x) { return x + cfg + (int)big + hid + 1; }
static long cb(__u32 i, void *c) { bssv += i; return 0; }

SEC("xdp")
int prog1(struct xdp_md *ctx) {
  __u32 k = 1; __u64 one = 1;
  bpf_map_update_elem(&counts, &k, &one, 0);
  bpf_loop(4, cb, 0, 0);
  return add2(gdata) + gfunc(ctx->ingress_ifindex) > 5 ? 2 : 1;
}

SEC("tc")
int prog2(void *ctx) { return add1(gdata) + custom; }

SEC("tc")
int tail(void *ctx) { bpf_tail_call(ctx, &jt, 2); return 0; }

SEC("?tc")
int optional(void *ctx) { return 1; }

char LICENSE[] SEC("license") = "Dual BSD/GPL";
__u32 _version SEC("version") = 0x050a00;
`;

/** Externs of every kind and CO-RE relocations. */
export const EXTERNS = `
#include <bpf/bpf_core_read.h>
struct task_struct { int pid; int tgid; } __attribute__((preserve_access_index));
extern int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[8] __kconfig __weak;
extern const void bpf_prog_active __ksym;
extern const int bpf_weak_var __ksym __weak;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
int out;

SEC("tp_btf/sched_switch")
int sw(unsigned long long *ctx) {
  struct task_struct *t = bpf_task_acquire((struct task_struct *)ctx[2]);
  if (t) { out = t->pid + bpf_core_field_exists(t->tgid); bpf_task_release(t); }
  out += LINUX_KERNEL_VERSION + CONFIG_BPF_SYSCALL + CONFIG_DEFAULT_HOSTNAME[0] + (long)&bpf_prog_active + bpf_weak_var;
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** libbpf 0.x legacy map definitions. */
export const LEGACY = `
struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
struct bpf_map_def SEC("maps") lcount = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 16 };
struct bpf_map_def SEC("maps") lhash = { .type = BPF_MAP_TYPE_HASH, .key_size = 8, .value_size = 4, .max_entries = 1024, .map_flags = 1 };
SEC("socket")
int sock(void *ctx) {
  __u32 k = 0; __u64 kk = 0;
  __u64 *v = bpf_map_lookup_elem(&lcount, &k);
  bpf_map_lookup_elem(&lhash, &kk);
  return v ? *v : 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

export const UNKNOWN_SECTION = `
SEC("foo/bar") int f(void *ctx) { return 0; }
`;
