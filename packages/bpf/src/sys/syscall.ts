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

// The map element hot path (bench/README.md): one off-heap attr, key and value
// area reused by every call (JavaScript issues one at a time and bpf(2) keeps
// no pointer after it returns), so a call allocates nothing, never hands V8 a
// small on-heap array to move off-heap, and passes fixed buffers to bpf2.
const ELEM = MapElemAttr.fields;
const STAGE = 64;
const elemArea = new ArrayBuffer(MapElemAttr.size + 2 * STAGE);
const elemAttr = new Uint8Array(elemArea, 0, MapElemAttr.size);
const keyStage = new Uint8Array(elemArea, MapElemAttr.size, STAGE);
const valueStage = new Uint8Array(elemArea, MapElemAttr.size + STAGE, STAGE);
const O_FD = ELEM.map_fd.offset;
const O_KEY = ELEM.key.offset;
const O_VALUE = ELEM.value.offset;
const O_FLAGS = ELEM.flags.offset;

/**
 * A map element command (lookup, update, delete, get-next-key,
 * lookup-and-delete) laid out as MapElemAttr: `value` goes in the value /
 * next_key field. Returns ret or -errno, like bpfRaw; the kernel's writes land
 * in `value`. Keys and values over 64 bytes are passed in place.
 * @example bpfMapElem('MAP_LOOKUP_ELEM', map.fd, key, out) === -Errno.ENOENT
 */
export function bpfMapElem(cmd: MapElemCmd, fd: number, key: Uint8Array | null, value: Uint8Array | null, flags = 0): number {
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
  const kn = key === null ? 0 : key.length;
  const vn = value === null ? 0 : value.length;
  put32(elemAttr, O_FD, fd >>> 0);
  if (flags >>> 0 === flags) {
    put32(elemAttr, O_FLAGS, flags);
    put32(elemAttr, O_FLAGS + 4, 0);
  } else {
    putScalar(elemAttr, O_FLAGS, 'u64', flags);
  }
  if (kn > STAGE || vn > STAGE) return retryEintr(() => bpfStaged(n, elemAttr, false, O_KEY, key, O_VALUE, value));
  for (let i = 0; i < kn; i++) keyStage[i] = key![i]!;
  for (let i = 0; i < vn; i++) valueStage[i] = value![i]!;
  let ret = 0;
  for (let i = 0; i <= RETRIES; i++) {
    ret = native.bpf2(n, elemAttr, O_KEY, key && keyStage, O_VALUE, value && valueStage);
    if (ret !== -Errno.EINTR) break;
  }
  if (writesValue) for (let i = 0; i < vn; i++) value![i] = valueStage[i]!;
  return ret;
}

function put32(b: Uint8Array, o: number, x: number): void {
  b[o] = x;
  b[o + 1] = x >>> 8;
  b[o + 2] = x >>> 16;
  b[o + 3] = x >>> 24;
}

function retryEintr(call: () => number): number {
  let ret = 0;
  for (let i = 0; i <= RETRIES; i++) {
    ret = call();
    if (ret !== -Errno.EINTR) break;
  }
  return ret;
}
