// What a feature probe answers, the per-process cache of answers, and a count
// of the bpf(2) calls probes made (so tests can prove the cache is used).
import { bpfRaw } from '../sys/syscall.js';
import type { BpfCmdName } from '../sys/consts.js';
import type { Encoded } from '../sys/layout.js';
import { NotSupportedError } from '../errors.js';

/**
 * 'supported': the kernel accepted it (or refused it the way it refuses a known
 * feature, e.g. struct_ops without BTF); 'unsupported': the kernel does not
 * know or forbids it here; 'unknown': the probe cannot decide (missing
 * privilege, or the feature needs a target the probe cannot invent).
 */
export type ProbeStatus = 'supported' | 'unsupported' | 'unknown';

export interface ProbeResult {
  /** What was probed, e.g. "program type XDP", "helper bpf_redirect in XDP". */
  readonly feature: string;
  readonly status: ProbeStatus;
  /** The evidence: errno name, verifier message, or why the probe cannot tell. */
  readonly reason: string;
}

const cache = new Map<string, ProbeResult>();
let syscalls = 0;

/** bpf(2) calls made by probes in this process (cache hits make none). */
export function probeSyscallCount(): number {
  return syscalls;
}

/** Forget every cached answer (the next probe asks the kernel again). */
export function clearProbeCache(): void {
  cache.clear();
}

/** The cached answer for `key`, or compute, cache and return it. */
export function cached(key: string, compute: () => ProbeResult): ProbeResult {
  const hit = cache.get(key);
  if (hit) return hit;
  const result = compute();
  cache.set(key, result);
  return result;
}

/** bpfRaw for probes: counted, never throws. */
export function probeBpf(cmd: BpfCmdName, encoded: Encoded): { ret: number; attr: Uint8Array } {
  syscalls++;
  return bpfRaw(cmd, encoded);
}

/**
 * Throw NotSupportedError unless the probe said 'supported'.
 * @example requireSupported(probeMapType('RINGBUF'));
 */
export function requireSupported(result: ProbeResult): void {
  if (result.status !== 'supported') throw new NotSupportedError(`${result.feature} is ${result.status} on this kernel: ${result.reason}`);
}

/** null when supported, else a sentence for skipUnless(t, ...) and messages. */
export function missingReason(result: ProbeResult): string | null {
  return result.status === 'supported' ? null : `${result.feature}: ${result.status} (${result.reason})`;
}

/** NUL-terminated text of a log buffer. */
export function logText(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}

/** True when running without root; the kernel then answers EPERM to everything. */
export const unprivileged = (): boolean => process.getuid?.() !== 0;
