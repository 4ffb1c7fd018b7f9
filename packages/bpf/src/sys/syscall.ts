// The one door to bpf(2). Every command goes through bpfCall, which lays out the
// attr, patches in pointers, retries on EINTR/EAGAIN where the kernel asks us to,
// and turns -errno into a SyscallError naming the command.
import { native } from './native.js';
import { bpfLean, bpfStaged } from './lean-call.js';
import { encode, putScalar, type Encoded, type Fields, type Struct, type Values } from './layout.js';
import { MapElemAttr } from './attrs.js';
import { BpfCmd, type BpfCmdName } from './consts.js';
import { Errno } from './errno.js';
import { SyscallError } from '../errors.js';

export interface BpfResult {
  /** The syscall's non-negative return value (often a new fd). */
  readonly ret: number;
  /** The attr after the call: the kernel writes results back into it. */
  readonly attr: Uint8Array;
}

const RETRIES = 5;

/** Issue a bpf(2) command; returns ret and attr, or -errno without throwing. */
export function bpfRaw(cmd: BpfCmdName, encoded: Encoded): { ret: number; attr: Uint8Array } {
  let ret = 0;
  // Most commands (every map element operation) have at most two pointers.
  const lean = encoded.pointers.length <= 2 && !encoded.nested?.length;
  for (let i = 0; i <= RETRIES; i++) {
    ret = lean
      ? bpfLean(BpfCmd[cmd], encoded.bytes, encoded.pointers)
      : native.bpf(BpfCmd[cmd], encoded.bytes, encoded.pointers, encoded.nested);
    // BPF_PROG_LOAD can return EAGAIN when interrupted; anything can see EINTR.
    if (ret !== -Errno.EINTR && !(ret === -Errno.EAGAIN && cmd === 'PROG_LOAD')) break;
  }
  return { ret, attr: encoded.bytes };
}

/** Issue a bpf(2) command with the attr laid out from `values`; throws SyscallError. */
export function bpfCall<F extends Fields>(cmd: BpfCmdName, layout: Struct<F>, values: Values<F>): BpfResult {
  const { ret, attr } = bpfRaw(cmd, encode(layout, values));
  if (ret < 0) throw new SyscallError(`BPF_${cmd}`, -ret);
  return { ret, attr };
}

/** Like bpfCall but returns -errno instead of throwing (for probes and expected misses). */
export function bpfTry<F extends Fields>(cmd: BpfCmdName, layout: Struct<F>, values: Values<F>): BpfResult {
  return bpfRaw(cmd, encode(layout, values));
}

export type MapElemCmd = 'MAP_LOOKUP_ELEM' | 'MAP_UPDATE_ELEM' | 'MAP_DELETE_ELEM' | 'MAP_GET_NEXT_KEY' | 'MAP_LOOKUP_AND_DELETE_ELEM';

// One off-heap attr reused by every element call (JavaScript issues one at a
// time): no per-call encode, pointer list or attr allocation on the hot path.
const elemAttr = new Uint8Array(new ArrayBuffer(MapElemAttr.size));
const ELEM = MapElemAttr.fields;

/**
 * A map element command (lookup, update, delete, get-next-key,
 * lookup-and-delete) laid out as MapElemAttr: `value` goes in the value /
 * next_key field. Returns ret or -errno, like bpfRaw; the kernel's writes land
 * in `value`.
 * @example bpfMapElem('MAP_LOOKUP_ELEM', map.fd, key, out) === -Errno.ENOENT
 */
export function bpfMapElem(cmd: MapElemCmd, fd: number, key: Uint8Array | null, value: Uint8Array | null, flags = 0): number {
  putScalar(elemAttr, ELEM.map_fd.offset, 'u32', fd);
  putScalar(elemAttr, ELEM.flags.offset, 'u64', flags);
  const n = BpfCmd[cmd];
  let ret = 0;
  for (let i = 0; i <= RETRIES; i++) {
    ret = bpfStaged(n, elemAttr, false, ELEM.key.offset, key, ELEM.value.offset, value);
    if (ret !== -Errno.EINTR) break;
  }
  return ret;
}
