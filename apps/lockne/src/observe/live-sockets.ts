// The routed sockets the apps hold now. Their records live in socket-local
// storage, which userspace cannot walk (no get_next_key) and sock_diag reports
// for TCP only; `up` pins an iterator over the storage map (listSockets in
// lockne.bpf.ts), and reading the pin runs it: one SockInfo per socket,
// UDP included, from every network namespace.
import fs from 'node:fs';
import { SyscallError } from '@lockne/bpf';
import { codecs, type SockInfoValue } from '../kernel/maps.js';
import { linkPin } from '../kernel/layout.js';

/** Size of one record the iterator writes (the compiled SockInfo). */
const RECORD = codecs.sockInfo.size;

/**
 * The routed sockets apps hold now (not yet released).
 * @example liveSockets('/sys/fs/bpf/lockne').filter((s) => s.tgid === pid).length
 */
export function liveSockets(pinDir: string): SockInfoValue[] {
  return socketRecords(pinDir).filter((s) => s.released === 0n);
}

/**
 * Every socket record the kernel still has: live ones, and released ones whose
 * socket is not freed yet (a closing TCP socket). 0 once every routed socket is gone.
 * @example socketRecords(pinDir).length
 */
export function socketRecords(pinDir: string): SockInfoValue[] {
  const path = linkPin(pinDir, 'listSockets');
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    const errno = Math.abs((e as NodeJS.ErrnoException).errno ?? 0);
    throw new SyscallError('read', errno, `${path} (Lockne's socket iterator; is Lockne up? \`lockne up\` pins it)`);
  }
  if (bytes.byteLength % RECORD !== 0) {
    throw new Error(`${path}: read ${bytes.byteLength} bytes, not a whole number of ${RECORD}-byte socket records (a Lockne build mismatch? run \`lockne up\` again)`);
  }
  const out: SockInfoValue[] = [];
  for (let off = 0; off < bytes.byteLength; off += RECORD) out.push(codecs.sockInfo.decode(bytes.subarray(off, off + RECORD)));
  return out;
}
