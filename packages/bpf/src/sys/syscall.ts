// The one door to bpf(2). Every command goes through bpfCall, which lays out the
// attr, patches in pointers, retries on EINTR/EAGAIN where the kernel asks us to,
// and turns -errno into a SyscallError naming the command.
import { native } from './native.js';
import { ATTR_MAX, SLOT, bpfLean, leanFits } from './lean-call.js';
import { encode, type Encoded, type Fields, type Struct, type Values } from './layout.js';
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

// The map element hot path has an attr area of its own: key at E_KEY, value
// at E_VALUE, and the attr's pointer fields holding their absolute addresses
// (the area is off-heap and never moves), so a call writes only what changed
// since the last one (command, fd, flags, NULL-ness of key/value), copies the
// key (and an update's value) in, and calls a native function bound to the
// area (native.boundBpf): no encode, no pointer list, no N-API argument
// (bench/README.md).
const ELEM = MapElemAttr.fields;
const O_FD = ELEM.map_fd.offset;
const O_KEY = ELEM.key.offset;
const O_VALUE = ELEM.value.offset;
const O_FLAGS = ELEM.flags.offset;
const ELEM_SIZE = MapElemAttr.size;
if (ELEM_SIZE > ATTR_MAX) throw new Error('MapElemAttr does not fit the lean-call area');
// The command, read by the bound function; between the attr and the key slot.
const O_CMD = ELEM_SIZE;
const E_KEY = 64;
if (O_CMD + 4 > E_KEY) throw new Error('MapElemAttr leaves no room for the command before the key slot');
const E_VALUE = E_KEY + SLOT;
const elemArea = new Uint8Array(new ArrayBuffer(E_VALUE + SLOT));
const elemBase = native.addressOf(elemArea);
const elemBpf = native.boundBpf(elemArea, ELEM_SIZE, O_CMD);
// Address halves of the key and value slots, written as two u32 each.
const KEY_LO = Number((elemBase + BigInt(E_KEY)) & 0xffffffffn);
const KEY_HI = Number((elemBase + BigInt(E_KEY)) >> 32n);
const VAL_LO = Number((elemBase + BigInt(E_VALUE)) & 0xffffffffn);
const VAL_HI = Number((elemBase + BigInt(E_VALUE)) >> 32n);
// What the area's attr holds now (-1: not yet written).
let curCmd = -1;
let curFd = -1;
let curFlags = -1;
let curKey = -1; // 1: points at the key slot, 0: NULL
let curValue = -1;

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
  if (kn > SLOT || vn > SLOT || flags >>> 0 !== flags) {
    return bpfRaw(cmd, encode(MapElemAttr, { map_fd: fd, key, [cmd === 'MAP_GET_NEXT_KEY' ? 'next_key' : 'value']: value, flags })).ret;
  }
  // A switch on the literal is cheaper than BpfCmd[cmd] (a keyed lookup) per call.
  // Lookups and get-next-key only write `value`: nothing to copy in.
  let n: number;
  let out = true;
  switch (cmd) {
    case 'MAP_LOOKUP_ELEM': n = BpfCmd.MAP_LOOKUP_ELEM; break;
    case 'MAP_GET_NEXT_KEY': n = BpfCmd.MAP_GET_NEXT_KEY; break;
    case 'MAP_LOOKUP_AND_DELETE_ELEM': n = BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM; break;
    case 'MAP_UPDATE_ELEM': n = BpfCmd.MAP_UPDATE_ELEM; out = false; break;
    case 'MAP_DELETE_ELEM': n = BpfCmd.MAP_DELETE_ELEM; out = false; break;
  }
  for (let i = 0; i < kn; i++) elemArea[E_KEY + i] = key![i]!;
  if (!out) for (let i = 0; i < vn; i++) elemArea[E_VALUE + i] = value![i]!;
  const ret = elemCall(n, fd, key !== null, value !== null, flags);
  // Only a success wrote the value: on failure the caller's bytes stay as they were.
  if (out && ret >= 0) for (let i = 0; i < vn; i++) value![i] = elemArea[E_VALUE + i]!;
  return ret;
}

/** bpf(cmd) on the element area as staged: key and value already in their slots. */
function elemCall(n: number, fd: number, hasKey: boolean, hasValue: boolean, flags: number): number {
  if (n !== curCmd) {
    put32(elemArea, O_CMD, n);
    curCmd = n;
  }
  if (fd !== curFd) {
    put32(elemArea, O_FD, fd >>> 0);
    curFd = fd;
  }
  if (flags !== curFlags) {
    put32(elemArea, O_FLAGS, flags);
    curFlags = flags;
  }
  const k = hasKey ? 1 : 0;
  if (k !== curKey) {
    put32(elemArea, O_KEY, k ? KEY_LO : 0);
    put32(elemArea, O_KEY + 4, k ? KEY_HI : 0);
    curKey = k;
  }
  const v = hasValue ? 1 : 0;
  if (v !== curValue) {
    put32(elemArea, O_VALUE, v ? VAL_LO : 0);
    put32(elemArea, O_VALUE + 4, v ? VAL_HI : 0);
    curValue = v;
  }
  let ret = elemBpf();
  for (let i = 0; ret === -Errno.EINTR && i < RETRIES; i++) ret = elemBpf();
  return ret;
}

/** The element area's key and value slots, for callers that encode in place. */
export interface ElemSlots {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/**
 * Views of the map element area's key and value slots (null when either size
 * exceeds 64 bytes). BpfMap's typed get/set encode the key straight into
 * `key` and decode the result from `value`, then call bpfMapElemStaged:
 * no scratch buffers, no copies. Valid until the next element call.
 */
export function elemSlots(keySize: number, valueSize: number): ElemSlots | null {
  if (keySize > SLOT || valueSize > SLOT) return null;
  return { key: elemArea.subarray(E_KEY, E_KEY + keySize), value: elemArea.subarray(E_VALUE, E_VALUE + valueSize) };
}

/** MAP_LOOKUP_ELEM / MAP_UPDATE_ELEM on what elemSlots() views hold; ret or -errno. flags must fit a u32. */
export function bpfMapElemStaged(cmd: 'MAP_LOOKUP_ELEM' | 'MAP_UPDATE_ELEM', fd: number, flags: number): number {
  return elemCall(cmd === 'MAP_LOOKUP_ELEM' ? BpfCmd.MAP_LOOKUP_ELEM : BpfCmd.MAP_UPDATE_ELEM, fd, true, true, flags);
}

function put32(a: Uint8Array, o: number, x: number): void {
  a[o] = x;
  a[o + 1] = x >>> 8;
  a[o + 2] = x >>> 16;
  a[o + 3] = x >>> 24;
}
