// `lockne run`: start a command in a profile's cgroup, as the invoking user.
// This process joins the cgroup first and only then spawns, so the app (and
// every child it forks) is in the cgroup before its first instruction — no
// window in which an early socket escapes.
import { spawn } from 'node:child_process';
// The light entry: `lockne run` loads no more of @lockne/bpf than this.
import { enterCgroup } from '@lockne/bpf/cgroup';
import type { AppliedProfile } from '../deploy/state.js';
import { dropPrivileges, type TargetUser } from './users.js';

export interface RunOptions {
  profile: AppliedProfile;
  argv: string[];
  user: TargetUser;
  /** Return once started (the app keeps running, routed, with no lockne process around). */
  detach?: boolean;
  /** stdio of the app (default inherit; ignore when detached). */
  stdio?: 'inherit' | 'ignore' | 'pipe';
}

export interface Started {
  pid: number;
  /** Exit code (128 + signal number when killed); resolves at once with 0 when detached. */
  exited: Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

export function runApp(o: RunOptions): Started {
  if (o.argv.length === 0) throw new Error('lockne run: no command given (lockne run --profile P -- CMD [ARGS...])');
  enterCgroup(o.profile.cgroup, process.pid);
  const self = (process.getuid?.() ?? 0) === o.user.uid && o.user.source === 'self';
  const { argv: prefix, env } = self ? { argv: [], env: process.env } : dropPrivileges(o.user);
  const argv = [...prefix, ...o.argv];
  const stdio = o.stdio ?? (o.detach ? 'ignore' : 'inherit');
  const child = spawn(argv[0]!, argv.slice(1), { stdio, env, detached: o.detach === true });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn reports ENOENT etc. asynchronously; surface it as the exit promise's rejection.
    return { pid: -1, exited: new Promise((_, reject) => child.once('error', (e) => reject(new Error(`start ${argv[0]}: ${e.message}`)))) };
  }
  if (o.detach) {
    child.unref();
    return { pid, exited: Promise.resolve(0) };
  }
  // Ctrl-C in the terminal reaches the app's process group anyway; signals sent to us are passed on.
  const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward);
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`start ${o.argv[0]}: ${e.message}`)));
    child.once('exit', (code, signal) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, forward);
      resolve(code ?? 128 + (signal ? SIGNALS[signal] ?? 1 : 1));
    });
  });
  return { pid, exited };
}
