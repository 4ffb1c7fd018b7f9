// BPF_OBJ_GET_INFO_BY_FD for programs, maps, links and BTF objects.
import { bpfRaw } from './syscall.js';
import { encode, nest, type Fields, type Struct, type Values } from './layout.js';
import { InfoByFdAttr } from './attrs.js';
import { SyscallError } from '../errors.js';

/**
 * Fill an info struct for `fd`. `request` presets fields of the info struct
 * itself (array counts and out-pointers, e.g. nr_map_ids + map_ids) so the
 * kernel fills those arrays in the same call.
 */
export function objInfo<F extends Fields>(fd: number, layout: Struct<F>, request: Values<F> = {}): Uint8Array {
  const info = encode(layout, request);
  const attr = encode(InfoByFdAttr, { bpf_fd: fd, info_len: info.bytes.byteLength, info: info.bytes });
  const { ret } = bpfRaw('OBJ_GET_INFO_BY_FD', nest(attr, info));
  if (ret < 0) throw new SyscallError('BPF_OBJ_GET_INFO_BY_FD', -ret);
  return info.bytes;
}
