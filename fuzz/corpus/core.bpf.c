// Fuzz corpus: CO-RE relocations of every family against hand-written
// preserve_access_index types (field offset/exists/size/bitfield, type
// exists/size, enum value) from tracing programs.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
	unsigned int flags : 9, frozen : 1;
	struct task_struct *real_parent;
	char comm[16];
} __attribute__((preserve_access_index));

enum lk_state { LK_RUNNING = 0, LK_SLEEPING = 1 };

struct trace_event_raw_sys_enter {
	long id;
	unsigned long args[6];
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, int);
	__type(value, int);
} parents SEC(".maps");

SEC("tp_btf/sched_process_exec")
int exec_core(__u64 *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	int ppid = BPF_CORE_READ(t, real_parent, tgid);
	int pid = BPF_CORE_READ(t, pid);
	unsigned int fl = BPF_CORE_READ_BITFIELD_PROBED(t, flags);
	if (bpf_core_field_exists(t->frozen))
		pid += bpf_core_field_size(t->comm);
	if (bpf_core_type_exists(struct trace_event_raw_sys_enter))
		pid += bpf_core_type_size(struct trace_event_raw_sys_enter);
	pid += bpf_core_enum_value(enum lk_state, LK_SLEEPING) + fl;
	bpf_map_update_elem(&parents, &pid, &ppid, BPF_ANY);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	int id = BPF_CORE_READ(ctx, id);
	unsigned long a = BPF_CORE_READ(ctx, args[1]);
	bpf_map_update_elem(&parents, &id, &id, a ? BPF_ANY : BPF_NOEXIST);
	return 0;
}

SEC("raw_tp/sys_exit")
int sys_exit(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	char comm[16];
	bpf_core_read_str(comm, sizeof(comm), &t->comm);
	return comm[0];
}

char LICENSE[] SEC("license") = "GPL";
