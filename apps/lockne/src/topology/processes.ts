// Child processes a topology started (wireguard-go, the server's services, apps
// spawned in the client namespace). Each is killed by its own PID, never by name.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { delay } from './exec.js';

/** How long a process gets after SIGTERM before SIGKILL. */
const TERM_GRACE_MS = 2000;

/** The last `limit` characters a process wrote, for error messages. */
export class OutputTail {
  private text = '';
  constructor(private readonly limit = 4096) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  toString(): string {
    return this.text;
  }
}

/** A process this module started, with what it printed so far. */
export interface Tracked {
  child: ChildProcess;
  /** What it is, for messages: e.g. "wireguard-go lkt42w1". */
  label: string;
  output: OutputTail;
}

/** True while `pid` exists (a zombie counts until reaped). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a tracked child has exited (exit event seen). */
function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Every process a topology started. `kill()`/`killAll()` send SIGTERM by PID,
 * wait, then SIGKILL; `onChange` is told the live PIDs (for the state file).
 */
export class ProcessSet {
  private readonly items = new Set<Tracked>();
  constructor(private readonly onChange: (pids: number[]) => void = () => {}) {}

  /**
   * Spawns argv, tracked. With `capture`, stdout and stderr are kept in
   * `output` (the caller must not read them otherwise).
   */
  spawn(argv: readonly string[], label: string, opts: SpawnOptions = {}, capture = false): Tracked {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', ...opts });
    const t: Tracked = { child, label, output: new OutputTail() };
    if (capture) {
      child.stdout?.on('data', (d: Buffer) => t.output.push(d));
      child.stderr?.on('data', (d: Buffer) => t.output.push(d));
    }
    // A spawn failure (ENOENT) surfaces as an 'error' event: keep it as output, it
    // must not crash the process.
    child.on('error', (e) => t.output.push(`\n[spawn error: ${e.message}]`));
    if (child.pid === undefined) {
      t.output.push(`\n[${label}: could not start ${argv[0]}]`);
      return t;
    }
    this.items.add(t);
    child.once('exit', () => this.changed());
    this.changed();
    return t;
  }

  /** PIDs of tracked processes not yet seen exiting. */
  pids(): number[] {
    return [...this.items].filter((t) => !exited(t.child)).map((t) => t.child.pid!);
  }

  /** Terminates one tracked process and waits for it; stops tracking it. */
  async kill(t: Tracked): Promise<void> {
    this.items.delete(t);
    await terminate(t.child);
    this.changed();
  }

  /** Terminates every tracked process (in parallel) and waits for all. */
  async killAll(): Promise<void> {
    const all = [...this.items];
    this.items.clear();
    await Promise.all(all.map((t) => terminate(t.child)));
    this.changed();
  }

  private changed(): void {
    this.onChange(this.pids());
  }
}

/** SIGTERM by PID, wait up to TERM_GRACE_MS, then SIGKILL and wait for the exit. */
async function terminate(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || exited(child)) return finish(child);
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signal(pid, 'SIGTERM');
  const timer = delay(TERM_GRACE_MS).then(() => 'timeout' as const);
  if ((await Promise.race([gone.then(() => 'gone' as const), timer])) === 'timeout') {
    signal(pid, 'SIGKILL');
    await gone;
  }
  finish(child);
}

function finish(child: ChildProcess): void {
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.stdin?.destroy();
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/**
 * Kills a process that is not our child (a leftover of a crashed run): SIGTERM,
 * poll up to 2 s, SIGKILL, poll again.
 */
export async function killOrphan(pid: number): Promise<void> {
  signal(pid, 'SIGTERM');
  for (let i = 0; i < 200 && pidAlive(pid); i++) await delay(10);
  if (!pidAlive(pid)) return;
  signal(pid, 'SIGKILL');
  for (let i = 0; i < 200 && pidAlive(pid); i++) await delay(10);
}

/** The argv of process `pid` (empty when it is gone). */
export function cmdlineOf(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter((s) => s !== '');
  } catch {
    return [];
  }
}
