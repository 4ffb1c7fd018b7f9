// The smallest BTF a local-storage map (sk/inode/task/cgrp storage) accepts,
// as libbpf's probe builds it:
//   [1] int   [2] struct bpf_spin_lock { int val; }   [3] struct val { int cnt; struct bpf_spin_lock l; }
// Storage maps need a BTF value type; the probe creates one with key type 1, value type 3.
import { encode } from '../sys/layout.js';
import { BtfLoadAttr } from '../sys/attrs.js';
import { probeBpf } from './result.js';

const BTF_MAGIC = 0xeb9f;
const KIND_INT = 1;
const KIND_STRUCT = 4;
const INT_SIGNED = 1;
const STRINGS = '\0bpf_spin_lock\0val\0cnt\0l\0';

const info = (kind: number, vlen: number) => ((kind << 24) | vlen) >>> 0;

/** The BTF blob (header + types + strings). */
export function storageProbeBtf(): Uint8Array {
  const types = [
    0, info(KIND_INT, 0), 4, (INT_SIGNED << 24) | 32, // [1] int: signed, 32 bits
    1, info(KIND_STRUCT, 1), 4, 15, 1, 0, // [2] bpf_spin_lock { val: int @0 }
    15, info(KIND_STRUCT, 2), 8, 19, 1, 0, 23, 2, 32, // [3] val { cnt: int @0, l: bpf_spin_lock @32 bits }
  ];
  const strs = new TextEncoder().encode(STRINGS);
  const hdrLen = 24;
  const typeLen = types.length * 4;
  const out = new Uint8Array(hdrLen + typeLen + strs.byteLength);
  const v = new DataView(out.buffer);
  v.setUint16(0, BTF_MAGIC, true);
  v.setUint8(2, 1); // version
  v.setUint8(3, 0); // flags
  v.setUint32(4, hdrLen, true);
  v.setUint32(8, 0, true); // type_off
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true); // str_off
  v.setUint32(20, strs.byteLength, true);
  types.forEach((t, i) => v.setUint32(hdrLen + i * 4, t >>> 0, true));
  out.set(strs, hdrLen + typeLen);
  return out;
}

/** Load the probe BTF: an fd (caller closes) or -errno. */
export function loadStorageProbeBtf(): number {
  const btf = storageProbeBtf();
  return probeBpf('BTF_LOAD', encode(BtfLoadAttr, { btf, btf_size: btf.byteLength })).ret;
}
