// TRACEPOINT programs on static kernel tracepoints (4.7+; link mode 5.15+).
// The tracepoint's id comes from tracefs; a perf event of type TRACEPOINT is
// opened for it (pid -1, cpu 0, as libbpf does: the program hangs off the
// tracepoint itself and runs on every CPU) and the program attached to that.
//
// @example
// const prog = Program.load({ type: 'TRACEPOINT', instructions: assemble(`
//   r0 = 0
//   exit`) });
// const link = attachTracepoint(prog, 'sched', 'sched_process_exec');
// ... link.close();
import fs from 'node:fs';
import { native } from '../sys/native.js';
import { PerfType, perfEventOpen } from '../sys/perf.js';
import { attachPerfEvent, type PerfAttachOptions, type PerfEventLink } from './perf-event.js';
import { ArgumentError, NotSupportedError, SyscallError } from '../errors.js';
import { Errno } from '../sys/errno.js';
import type { Program } from '../programs/program.js';

/** Where tracefs is mounted when nothing else says so (4.1+). */
export const TRACEFS_DEFAULT = '/sys/kernel/tracing';
const TRACEFS_MAGIC = 0x74726163;

let tracefsCache: string | undefined;

/**
 * The tracefs mount point, from /proc/self/mountinfo. When tracefs is not
 * mounted (common at boot), mount it at /sys/kernel/tracing (needs root);
 * failure is a SyscallError naming the mount.
 */
export function tracefsDir(): string {
  if (tracefsCache && native.statfsType(tracefsCache) === TRACEFS_MAGIC) return tracefsCache;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // "36 25 0:12 / /sys/kernel/tracing rw,... - tracefs tracefs rw"
    const [pre, post] = line.split(' - ');
    if (post?.split(' ')[0] === 'tracefs') {
      tracefsCache = unescapeMount(pre!.split(' ')[4]!);
      return tracefsCache;
    }
  }
  const ret = native.mount('tracefs', TRACEFS_DEFAULT, 'tracefs', 0, null);
  // EBUSY: someone mounted it between our read of mountinfo and now.
  if (ret < 0 && ret !== -Errno.EBUSY) throw new SyscallError('mount', -ret, `tracefs at ${TRACEFS_DEFAULT}`);
  tracefsCache = TRACEFS_DEFAULT;
  return tracefsCache;
}

function unescapeMount(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * The id of tracepoint `category`/`name` (tracefs events/<category>/<name>/id).
 * Throws NotSupportedError naming the path when this kernel has no such event.
 */
export function tracepointId(category: string, name: string): number {
  if (!NAME.test(category) || !NAME.test(name)) {
    throw new ArgumentError(`tracepoint '${category}/${name}': category and name must match ${NAME}`);
  }
  const file = `${tracefsDir()}/events/${category}/${name}/id`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new NotSupportedError(`tracepoint '${category}/${name}' does not exist: ${file}: ${code}`);
  }
  return Number(text.trim());
}

/**
 * Attach a TRACEPOINT program to `category`/`name` (e.g. 'sched',
 * 'sched_process_exec'). The returned link owns the perf event and, in 'link'
 * mode, the bpf_link; close() detaches.
 */
export function attachTracepoint(prog: Program, category: string, name: string, opts: PerfAttachOptions = {}): PerfEventLink {
  const id = tracepointId(category, name);
  const what = `tracepoint ${category}/${name}`;
  const fd = perfEventOpen({ type: PerfType.TRACEPOINT, config: id }, { pid: -1, cpu: 0, what });
  return attachPerfEvent(prog, fd, { ...opts, what });
}
