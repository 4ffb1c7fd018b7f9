// Typed errors. Each names what failed and carries the evidence (command, errno
// name, verifier log), so a user can act on the message alone.
import { errnoName } from './sys/errno.js';

/** Base class of every error @lockne/bpf throws on purpose. */
export class BpfError extends Error {
  override name = 'BpfError';
}

/** A syscall (bpf(2) command, perf_event_open, ioctl, ...) returned an error. */
export class SyscallError extends BpfError {
  override name = 'SyscallError';
  /** e.g. "BPF_MAP_CREATE", "perf_event_open". */
  readonly syscall: string;
  readonly errno: number;
  /** e.g. "EPERM". */
  readonly code: string;
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall} failed: ${code}${detail ? ` (${detail})` : ''}`);
    this.syscall = syscall;
    this.errno = Math.abs(errno);
    this.code = code;
  }
}

/** How many log lines a VerifierError shows in its message; the whole log is kept. */
const TAIL_LINES = 20;

/** BPF_PROG_LOAD rejected the program; `log` is the verifier's complete output. */
export class VerifierError extends SyscallError {
  override name = 'VerifierError';
  readonly log: string;
  /** Set when the log did not fit even the largest buffer (the kernel's limit). */
  readonly truncated: boolean;
  constructor(syscall: string, errno: number, log: string, truncated = false, programName?: string) {
    super(syscall, errno, programName ? `program '${programName}'` : undefined);
    this.log = log;
    this.truncated = truncated;
    const lines = log.trimEnd().split('\n');
    const tail = lines.slice(-TAIL_LINES);
    const head = lines.length > TAIL_LINES ? `  ... ${lines.length - TAIL_LINES} earlier lines in .log\n` : '';
    this.message += log.trim()
      ? `\nverifier log (last ${tail.length} lines):\n${head}${tail.map((l) => `  ${l}`).join('\n')}`
      : '\nverifier log is empty (the kernel refused before verification, e.g. a forbidden program type)';
  }
}

/** A handle was used after close(). */
export class ClosedError extends BpfError {
  override name = 'ClosedError';
  constructor(what: string) {
    super(`${what} is closed`);
  }
}

/** An argument was rejected before any syscall (wrong key size, bad flag...). */
export class ArgumentError extends BpfError {
  override name = 'ArgumentError';
}

/** The running kernel lacks something (a probe said so). */
export class NotSupportedError extends BpfError {
  override name = 'NotSupportedError';
}
