// Every exec() on the machine: sched/sched_process_exec fires in the new
// program's context, so the pid and comm read here are the exec-ed process's.
import { tracepoint, RingBuf, PerCpuArrayMap, struct, array, bpf, u8, u32, type Infer } from '@lockne/kernel';

/** One record per exec: C layout { u32 pid; u8 comm[16]; } = 20 bytes. */
export const ExecEvent = struct('exec_event', { pid: u32, comm: array(u8, 16) });
export type ExecEvent = Infer<typeof ExecEvent>;

export const events = new RingBuf({ size: 65536 });
// Scratch record in a per-CPU map value: getCurrentComm writes into it
// (the compiler cannot yet pass a stack struct's field to a helper).
export const scratch = new PerCpuArrayMap<ExecEvent>({ maxEntries: 1 });

export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const e = scratch.lookup(0);
  if (e === null) return 0;
  e.value.pid = u32(bpf.getCurrentPidTgid() >> 32n);
  bpf.getCurrentComm(e.value.comm);
  events.output(ExecEvent, e.value);
  return 0;
});
