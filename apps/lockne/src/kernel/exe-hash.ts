// Exe rules are matched in the kernel by a 64-bit FNV-1a hash of the path the
// process was exec'd with (sched_process_exec's filename), computed the same
// way here and in lockne.bpf.ts's hashPath(): over the bytes up to the NUL.

/** Longest path the kernel side reads (its buffer is 256 bytes, one for the NUL). */
export const MAX_EXE_PATH_BYTES = 255;

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/**
 * FNV-1a (64-bit) of a path's UTF-8 bytes.
 * @example exeHash('/usr/bin/firefox') // the key `lockne rule add --exe /usr/bin/firefox` stores
 */
export function exeHash(path: string | Uint8Array): bigint {
  const bytes = typeof path === 'string' ? new TextEncoder().encode(path) : path;
  let h = FNV_OFFSET;
  for (const b of bytes) {
    if (b === 0) break;
    h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  }
  return h;
}
