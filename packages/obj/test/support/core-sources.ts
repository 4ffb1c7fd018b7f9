// C sources shared by the CO-RE tests. Local types carry ___flavour suffixes
// and layouts that differ from the targets the tests relocate against.

/** Local struct/enum views, and one function per relocation family. */
export const LOCAL_C = `
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct inner___l { int v; } __attribute__((preserve_access_index));
struct sample___l {
	int a;
	unsigned int b:3, c:5;
	int s:4;
	long d;
	struct { int x; int arr[4]; };
	unsigned int small;
	int sgn;
	struct inner___l *ptr;
	int gone;
	char name[16];
} __attribute__((preserve_access_index));
struct flex___l { int n; int data[]; } __attribute__((preserve_access_index));
typedef struct sample___l sample_t;
enum colour___l { RED = 1, GREEN = 2, BLUE = 3 };
enum shade___l { DARK = 1, LIGHT = 2 };
struct nowhere { int z; };

SEC("tc") long fields(struct sample___l *smp) {
	return smp->a + smp->d + smp->arr[2] + smp->x + smp->small + smp->sgn + smp->ptr->v + smp[1].a;
}
SEC("tc") long flex(struct flex___l *f) { return f->data[5]; }
SEC("tc") long bitfields(struct sample___l *smp) { return BPF_CORE_READ_BITFIELD(smp, c) * 1000 + BPF_CORE_READ_BITFIELD(smp, s); }
SEC("tc") long sizes(struct sample___l *smp) {
	return bpf_core_field_size(smp->d) * 10000 + bpf_core_field_size(smp->name) * 100 + bpf_core_field_size(smp->arr[1]);
}
SEC("tc") long exists(struct sample___l *smp) { return bpf_core_field_exists(smp->gone) * 10 + bpf_core_field_exists(smp->a); }
SEC("tc") long signs(struct sample___l *smp) {
	return __builtin_preserve_field_info(smp->a, BPF_FIELD_SIGNED) * 10 + __builtin_preserve_field_info(smp->small, BPF_FIELD_SIGNED);
}
SEC("tc") long types(void *ctx) {
	return bpf_core_type_exists(sample_t) + bpf_core_type_size(struct sample___l) * 10
		+ bpf_core_type_exists(struct nowhere) * 1000 + bpf_core_type_size(struct nowhere) * 10000
		+ bpf_core_type_exists(struct inner___l) + bpf_core_type_exists(enum shade___l) + bpf_core_type_exists(enum colour___l);
}
SEC("tc") long ids(void *ctx) { return bpf_core_type_id_kernel(struct sample___l) * 1000 + bpf_core_type_id_local(struct sample___l); }
SEC("tc") long enums(void *ctx) {
	return bpf_core_enum_value(enum colour___l, GREEN) + bpf_core_enum_value_exists(enum colour___l, BLUE) * 100
		+ bpf_core_enum_value(enum colour___l, BLUE) * 1000;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** A local view of kernel types, relocated against the running kernel's BTF. */
export const VMLINUX_C = `
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___mine {
	int pid;
	int tgid;
	struct task_struct___mine *real_parent;
	unsigned int __state;
	int lockne_missing;
} __attribute__((preserve_access_index));
enum pid_type___mine { PIDTYPE_PID___mine = 7, PIDTYPE_TGID___mine = 8, LOCKNE_NO_PIDTYPE = 9 };
struct lockne_absent_type { int x; };

SEC("tc") int read_pid(void *ctx) {
	struct task_struct___mine *t = (void *)bpf_get_current_task();
	return BPF_CORE_READ(t, real_parent, pid);
}
SEC("tc") int direct(struct task_struct___mine *t) { return t->tgid + t->__state; }
SEC("tc") int exists(void *ctx) {
	return bpf_core_field_exists(struct task_struct___mine, lockne_missing) * 100 + bpf_core_field_exists(struct task_struct___mine, pid);
}
SEC("tc") int types(void *ctx) {
	return bpf_core_type_size(struct task_struct___mine) + bpf_core_type_exists(struct lockne_absent_type)
		+ bpf_core_type_size(struct lockne_absent_type);
}
SEC("tc") int enums(void *ctx) {
	return bpf_core_enum_value(enum pid_type___mine, PIDTYPE_TGID___mine) * 10 + bpf_core_enum_value_exists(enum pid_type___mine, LOCKNE_NO_PIDTYPE);
}
SEC("tc") long ids(void *ctx) {
	return bpf_core_type_id_kernel(struct task_struct___mine) * 100000L + bpf_core_type_id_local(struct task_struct___mine);
}
SEC("tc") int missing(struct task_struct___mine *t) {
	if (bpf_core_field_exists(t->lockne_missing)) return t->lockne_missing;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

/**
 * Everything btf/fixup.ts rewrites: global data in several sections (a
 * static, a hidden global), .maps, .kconfig and .ksyms externs (a VAR, kfuncs
 * with and without parameter names, one the kernel lacks), a hidden global
 * subprogram, FLOAT, DECL_TAG and TYPE_TAG. libbpf (bpftool 7.1) loads it.
 */
export const FIXUP_C = `
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __ttag(x) __attribute__((btf_type_tag(x)))

struct tagged { int a __tag("member_tag"); int __ttag("user") *p; } __tag("struct_tag");
struct { __uint(type, 2); __uint(max_entries, 1); __type(key, int); __type(value, long); } counts SEC(".maps");
int g1 = 1;
static int s1 = 2;
long g2 = 3;
__attribute__((visibility("hidden"))) int h1 = 4;
const volatile int ro1 = 5;
const volatile float ratio = 1.5f;
int bss1;
struct tagged tagged_var;
char custom[8] SEC(".data.custom") = "custom";
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern const void bpf_prog_active __ksym __weak;
extern int lockne_no_such_kfunc(int, void *) __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;

__attribute__((noinline)) __attribute__((visibility("hidden"))) int hidden_sub(int x) __tag("fn_tag") { return x + g1; }
__attribute__((noinline)) int global_sub(int x) { return x * 2 + bss1; }

SEC("tc") int prog(void *ctx) {
	s1++;
	if (bpf_rcu_read_lock && bpf_rcu_read_unlock) { bpf_rcu_read_lock(); bpf_rcu_read_unlock(); }
	if (lockne_no_such_kfunc) return lockne_no_such_kfunc(1, &counts);
	return hidden_sub(g1) + global_sub(s1) + g2 + h1 + ro1 + *(const volatile int *)&ratio + bss1 + tagged_var.a + custom[1]
		+ LINUX_KERNEL_VERSION + CONFIG_BPF_SYSCALL + (long)&bpf_prog_active;
}
char LICENSE[] SEC("license") = "GPL";
`;
