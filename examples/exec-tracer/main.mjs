// exec tracer: prints "exec pid=… ppid=… comm=…" for every exec() on the machine.
//   sudo node examples/exec-tracer/main.mjs        (Ctrl-C to stop)
import { RingBufferReader } from '@lockne/bpf';
import { loadFile, isMain } from '../lib/load.mjs';

/** struct exec_event { u32 pid; u32 ppid; u8 comm[16]; } */
export function decodeExec(d) {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const comm = d.subarray(8, 24);
  const nul = comm.indexOf(0);
  return { pid: v.getUint32(0, true), ppid: v.getUint32(4, true), comm: Buffer.from(comm.subarray(0, nul < 0 ? 16 : nul)).toString() };
}

/** Load, attach and deliver each exec to `onExec({pid, ppid, comm})`; returns { close() }. */
export function startExecTracer(onExec) {
  const obj = loadFile(new URL('./exec-tracer.bpf.ts', import.meta.url));
  let link;
  let reader;
  try {
    link = obj.program('onExec').attach();
    reader = new RingBufferReader(obj.map('events'), { onSample: (d) => onExec(decodeExec(d)) });
  } catch (e) {
    link?.close();
    obj.close();
    throw e;
  }
  return {
    close() {
      reader.close();
      link.close();
      obj.close();
    },
  };
}

if (isMain(import.meta)) {
  const tracer = startExecTracer((e) => console.log(`exec pid=${e.pid} ppid=${e.ppid} comm=${e.comm}`));
  console.error('tracing exec() ... Ctrl-C to stop');
  process.once('SIGINT', () => tracer.close());
  process.once('SIGTERM', () => tracer.close());
}
