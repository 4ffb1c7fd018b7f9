// `lockne attach PID --profile P [--reset]`: move a running app and all its
// descendants into the profile's cgroup. Only sockets created afterwards are
// routed; --reset destroys the app's existing TCP/UDP sockets (sock_diag
// SOCK_DESTROY, as Android does on a VPN change) so it reconnects, routed.
import { enterCgroup } from '@lockne/bpf';
import { profileByName, type LockneState } from '../deploy/state.js';
import { processTree } from './procs.js';
import { destroySocketsOfPid } from '../net/sock-diag.js';

export interface AttachResult {
  pids: number[];
  /** Sockets destroyed by --reset. */
  destroyed: number;
}

export function attachProcess(state: LockneState, pid: number, profileName: string, opts: { reset?: boolean } = {}): AttachResult {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`PID '${pid}': not a process id`);
  const p = profileByName(state, profileName);
  const pids = processTree(pid);
  if (pids.length === 1 && !processExists(pid)) throw new Error(`PID ${pid}: no such process`);
  const moved: number[] = [];
  for (const q of pids) {
    try {
      enterCgroup(p.cgroup, q);
      moved.push(q);
    } catch (e) {
      if (q === pid) throw e; // a child that exited meanwhile is fine; the app itself is not
    }
  }
  let destroyed = 0;
  if (opts.reset) {
    for (const q of moved) destroyed += destroySocketsOfPid(q).length;
  }
  return { pids: moved, destroyed };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
