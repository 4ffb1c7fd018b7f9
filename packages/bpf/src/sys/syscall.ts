// The one door to bpf(2). Every command goes through bpfCall, which lays out the
// attr, patches in pointers, retries on EINTR/EAGAIN where the kernel asks us to,
// and turns -errno into a SyscallError naming the command.
import { native } from './native.js';
import { ATTR_MAX, SLOT, SLOT_A, SLOT_B, area, bpfLean, leanFits } from './lean-call.js';
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
  // Most commands (every map element operation) have at most two small pointers.
  const lean = !encoded.nested?.length && leanFits(encoded.bytes, encoded.pointers);
  for (let i = 0; i <= RETRIES; i++) {
    ret = lean
      ? bpfLean(BpfCmd[cmd], encoded.bytes, encoded.pointers)
      : native.bpf(BpfCmd[cmd], encoded.bytes, encoded.pointers, encoded.nested);
    // BPF_PROG_LOAD can return EAGAIN when interrupted; anything can see EINTR.
    // Never retry a test run: the kernel would run the program again from the
    // start, repeating its side effects (map writes, ring buffer output).
    if (cmd === 'PROG_TEST_RUN') break;
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

// The map element hot path writes its attr straight into lean-call's shared
// area (key at SLOT_A, value at SLOT_B): no per-call encode, pointer list or
// attr allocation, and one buffer handed to native.bpf2 (bench/README.md).
const ELEM = MapElemAttr.fields;
const O_FD = ELEM.map_fd.offset;
const O_KEY = ELEM.key.offset;
const O_VALUE = ELEM.value.offset;
const O_FLAGS = ELEM.flags.offset;
const ELEM_SIZE = MapElemAttr.size;
if (ELEM_SIZE > ATTR_MAX) throw new Error('MapElemAttr does not fit the lean-call area');

/**
 * A map element command (lookup, update, delete, get-next-key,
 * lookup-and-delete) laid out as MapElemAttr: `value` goes in the value /
 * next_key field. Returns ret or -errno, like bpfRaw; the kernel's writes land
 * in `value`. Keys or values over 64 bytes take the generic path.
 * @example bpfMapElem('MAP_LOOKUP_ELEM', map.fd, key, out) === -Errno.ENOENT
 */
export function bpfMapElem(cmd: MapElemCmd, fd: number, key: Uint8Array | null, value: Uint8Array | null, flags = 0): number {
  const kn = key === null ? 0 : key.length;
  const vn = value === null ? 0 : value.length;
  if (kn > SLOT || vn > SLOT) {
    return bpfRaw(cmd, encode(MapElemAttr, { map_fd: fd, key, [cmd === 'MAP_GET_NEXT_KEY' ? 'next_key' : 'value']: value, flags })).ret;
  }
  // A switch on the literal is cheaper than BpfCmd[cmd] (a keyed lookup) per call.
  let n: number;
  let writesValue = true;
  switch (cmd) {
    case 'MAP_LOOKUP_ELEM': n = BpfCmd.MAP_LOOKUP_ELEM; break;
    case 'MAP_GET_NEXT_KEY': n = BpfCmd.MAP_GET_NEXT_KEY; break;
    case 'MAP_LOOKUP_AND_DELETE_ELEM': n = BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM; break;
    case 'MAP_UPDATE_ELEM': n = BpfCmd.MAP_UPDATE_ELEM; writesValue = false; break;
    case 'MAP_DELETE_ELEM': n = BpfCmd.MAP_DELETE_ELEM; writesValue = false; break;
  }
  put32(O_FD, fd >>> 0);
  put32(O_FD + 4, 0); // padding: another command may have left bytes here
  if (flags >>> 0 === flags) {
    put32(O_FLAGS, flags);
    put32(O_FLAGS + 4, 0);
  } else {
    putScalar(area, O_FLAGS, 'u64', flags);
  }
  for (let i = 0; i < kn; i++) area[SLOT_A + i] = key![i]!;
  for (let i = 0; i < vn; i++) area[SLOT_B + i] = value![i]!;
  let ret = 0;
  for (let i = 0; i <= RETRIES; i++) {
    ret = native.bpf2(n, area, ELEM_SIZE, O_KEY, key ? SLOT_A : -1, O_VALUE, value ? SLOT_B : -1);
    if (ret !== -Errno.EINTR) break;
  }
  if (writesValue) for (let i = 0; i < vn; i++) value![i] = area[SLOT_B + i]!;
  return ret;
}

function put32(o: number, x: number): void {
  area[o] = x;
  area[o + 1] = x >>> 8;
  area[o + 2] = x >>> 16;
  area[o + 3] = x >>> 24;
}
