// CPU placement for benchmarks whose result depends on it (the ring buffer
// drain: where the producer wrote the records and where the consumer reads
// them decides which caches hold them). `taskset` (util-linux) does the work;
// only this process's main thread is moved, V8's helper threads stay free.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

const pid = String(process.pid);

/** This thread's current affinity list as taskset prints it, e.g. "0,1" or "0-3". */
export function currentCpus() {
  const out = execFileSync('taskset', ['-cp', pid], { encoding: 'utf8' });
  return out.trim().split(': ').pop();
}

/** Move the main thread to `cpus` (a taskset list: "1", "0-3"). */
export function pinMainThread(cpus) {
  execFileSync('taskset', ['-cp', String(cpus), pid], { stdio: 'ignore' });
}

/** A producer CPU and a different consumer CPU when the machine has two. */
export function producerConsumerCpus() {
  const n = os.availableParallelism();
  return { producer: 0, consumer: n > 1 ? 1 : 0 };
}
