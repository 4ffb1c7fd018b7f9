// Every exec() on the machine: sched/sched_process_exec fires in the new
// program's context, so the pid and comm read here are the exec-ed process's.
// The parent's pid comes from the kernel's task_struct (current->real_parent->tgid),
// read with CO-RE: the loader moves the field offsets to the running kernel's.
import {
  tracepoint, RingBuf, PerCpuArrayMap, struct, array, kernelStruct, kernelPtr, core, bpf, u8, u32, i32, type Infer,
} from '@lockne/kernel';

/** One record per exec: C layout { u32 pid; u32 ppid; u8 comm[16]; } = 24 bytes. */
export const ExecEvent = struct('exec_event', { pid: u32, ppid: u32, comm: array(u8, 16) });
export type ExecEvent = Infer<typeof ExecEvent>;

export const events = new RingBuf({ size: 65536 });
// Scratch record in a per-CPU map value: getCurrentComm writes into it
// (the compiler cannot yet pass a stack struct's field to a helper).
export const scratch = new PerCpuArrayMap<ExecEvent>({ maxEntries: 1 });

/** The two task_struct members read here, with the kernel's names. */
export const Task = kernelStruct('task_struct', { tgid: i32, real_parent: kernelPtr('task_struct') });

export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const e = scratch.lookup(0);
  if (e === null) return 0;
  e.value.pid = u32(bpf.getCurrentPidTgid() >> 32n);
  const parent = core.read(Task, bpf.getCurrentTask(), 'real_parent');
  e.value.ppid = u32(core.read(Task, parent, 'tgid'));
  bpf.getCurrentComm(e.value.comm);
  events.output(ExecEvent, e.value);
  return 0;
});
