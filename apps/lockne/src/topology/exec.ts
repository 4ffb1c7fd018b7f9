// Running commands, optionally inside a named network namespace. Namespaces are
// entered with `nsenter --net=/run/netns/NAME` (not `ip netns exec`, which
// remounts /sys and hides bpffs and the cgroup mount).
import { execFile, execFileSync } from 'node:child_process';

/** A command exited non-zero (or could not start); carries its output. */
export class CommandError extends Error {
  override name = 'CommandError';
  readonly argv: readonly string[];
  /** Exit status, or null when killed by a signal or not started. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  constructor(argv: readonly string[], status: number | null, stdout: string, stderr: string, why?: string) {
    const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-6).join('\n  ');
    super(`\`${argv.join(' ')}\` ${why ?? `exited with status ${status}`}${tail ? `:\n  ${tail}` : ''}`);
    this.argv = argv;
    this.status = status;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** Outcome of a command run with `tryRun`: never throws for a non-zero exit. */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Text written to the command's stdin. */
  input?: string;
  /** Kill the command after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Path of a named network namespace made by `ip netns add`. */
export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

/**
 * argv that runs `argv` inside network namespace `netns` (or as is when null).
 *
 * @example inNetnsArgv('lkt1c', ['ip', 'route']) // ['nsenter', '--net=/run/netns/lkt1c', '--', 'ip', 'route']
 */
export function inNetnsArgv(netns: string | null, argv: readonly string[]): string[] {
  if (argv.length === 0) throw new Error('empty command');
  return netns ? ['nsenter', `--net=${netnsPath(netns)}`, '--', ...argv] : [...argv];
}

const DEFAULT_TIMEOUT = 30_000;

/** Runs argv to completion; returns stdout, throws CommandError on failure. */
export function run(argv: readonly string[], opts: RunOptions = {}): string {
  const r = tryRun(argv, opts);
  if (r.status !== 0) throw new CommandError(argv, r.status, r.stdout, r.stderr);
  return r.stdout;
}

/** Runs argv to completion and reports how it ended. */
export function tryRun(argv: readonly string[], opts: RunOptions = {}): RunResult {
  try {
    const stdout = execFileSync(argv[0]!, argv.slice(1), {
      input: opts.input ?? '',
      timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT,
      env: opts.env ?? process.env,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 16 << 20,
    });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { status?: number | null; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new CommandError(argv, null, '', '', `could not start: ${argv[0]} not found`);
    return { status: err.status ?? null, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message };
  }
}

/** Async tryRun: resolves with how the command ended, whatever its status. */
export function tryRunAsync(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ status: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: string | number };
        if (e.code === 'ENOENT') return reject(new CommandError(argv, null, '', '', `could not start: ${argv[0]} not found`));
        resolve({ status: typeof e.code === 'number' ? e.code : null, stdout, stderr: stderr || err.message });
      },
    );
    // A command that exits without reading its stdin makes the write fail (EPIPE): not our error.
    child.stdin?.on('error', () => {});
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Async run: resolves with stdout, rejects with CommandError on failure. */
export async function runAsync(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await tryRunAsync(argv, opts);
  if (r.status !== 0) throw new CommandError(argv, r.status, r.stdout, r.stderr);
  return r.stdout;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than
 * undefined; throws `what` timed out after `timeoutMs`.
 */
export async function pollUntil<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}
