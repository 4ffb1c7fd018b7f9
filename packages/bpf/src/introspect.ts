// Introspection: every program, map, link and BTF object loaded in the kernel,
// like `bpftool prog/map/link/btf show`. Walks ids with BPF_*_GET_NEXT_ID,
// opens each with BPF_*_GET_FD_BY_ID and reads its info. Objects that vanish
// between the two calls (ENOENT) are skipped: other processes load and unload
// all the time. Minimum kernel: 4.13 (ids), 5.8 (links), 5.0 (BTF ids).
import { native } from './sys/native.js';
import { bpfRaw } from './sys/syscall.js';
import { encode, read, readU32 } from './sys/layout.js';
import { BtfInfo, GetIdAttr, LinkInfo } from './sys/attrs.js';
import { AttachType, LinkType, enumName, type BpfCmdName } from './sys/consts.js';
import { Errno } from './sys/errno.js';
import { objInfo } from './sys/info.js';
import { SyscallError } from './errors.js';
import { BpfMap, mapInfoByFd, type MapInfoResult } from './maps/map.js';
import { Program, programInfoByFd, type ProgramInfo } from './programs/program.js';
import { Link, linkInfoByFd } from './links/link.js';

/** Where a link is attached, decoded from bpf_link_info's per-type union. */
export type LinkTarget =
  | { kind: 'cgroup'; cgroupId: bigint; attachType: string }
  | { kind: 'tcx' | 'netkit'; ifindex: number; attachType: string }
  | { kind: 'xdp'; ifindex: number }
  | { kind: 'netns'; netnsIno: number; attachType: string }
  | { kind: 'raw_tracepoint'; tpName: string }
  | { kind: 'tracing'; attachType: string; targetObjId: number; targetBtfId: number }
  | { kind: 'netfilter'; pf: number; hooknum: number; priority: number }
  | { kind: 'sockmap'; mapId: number; attachType: string }
  | { kind: 'other' };

export interface LinkSummary {
  id: number;
  type: number;
  /** LinkType name, e.g. 'CGROUP', 'TCX'. */
  typeName: string;
  progId: number;
  target: LinkTarget;
}

export interface BtfSummary {
  id: number;
  /** 'vmlinux', a module name, or '' for BTF loaded by a program. */
  name: string;
  size: number;
  /** True for kernel and module BTF. */
  kernel: boolean;
}

type Kind = 'PROG' | 'MAP' | 'LINK' | 'BTF';

/** The next id after `id`, or undefined at the end. */
function nextId(kind: Kind, id: number): number | undefined {
  const cmd = `${kind}_GET_NEXT_ID` as BpfCmdName;
  const { ret, attr } = bpfRaw(cmd, encode(GetIdAttr, { id }));
  if (ret === -Errno.ENOENT) return undefined;
  if (ret < 0) throw new SyscallError(`BPF_${cmd}`, -ret, `after id ${id}`);
  return readU32(GetIdAttr, attr, 'next_id');
}

/** An fd for object `id`, or -ENOENT when it is gone; other errors throw. */
function fdById(kind: Kind, id: number, what: string): number {
  const cmd = `${kind}_GET_FD_BY_ID` as BpfCmdName;
  const { ret } = bpfRaw(cmd, encode(GetIdAttr, { id }));
  if (ret < 0 && ret !== -Errno.ENOENT) throw new SyscallError(`BPF_${cmd}`, -ret, `${what} id ${id}`);
  return ret;
}

/** Visit every live object of a kind with a temporary fd. */
function each<T>(kind: Kind, what: string, visit: (fd: number) => T): T[] {
  const out: T[] = [];
  for (let id = nextId(kind, 0); id !== undefined; id = nextId(kind, id)) {
    const fd = fdById(kind, id, what);
    if (fd < 0) continue; // vanished since GET_NEXT_ID
    try {
      out.push(visit(fd));
    } finally {
      native.close(fd);
    }
  }
  return out;
}

/** Open object `id` or throw SyscallError naming it (ENOENT when there is none). */
function openById(kind: Kind, id: number, what: string): number {
  const fd = fdById(kind, id, what);
  if (fd < 0) throw new SyscallError(`BPF_${kind}_GET_FD_BY_ID`, -fd, `${what} id ${id}`);
  return fd;
}

/**
 * Every loaded program. @example listPrograms().filter((p) => p.name === 'counter')
 */
export function listPrograms(): ProgramInfo[] {
  return each('PROG', 'program', programInfoByFd);
}

/** Every map. */
export function listMaps(): MapInfoResult[] {
  return each('MAP', 'map', mapInfoByFd);
}

/** Every bpf_link, with its target decoded. */
export function listLinks(): LinkSummary[] {
  return each('LINK', 'link', linkSummaryByFd);
}

/** Every BTF object (vmlinux, modules, programs' own). */
export function listBtf(): BtfSummary[] {
  return each('BTF', 'btf', btfSummaryByFd);
}

/** Open a program by id (you own the result). @example programById(42).info().name */
export function programById(id: number): Program {
  const fd = openById('PROG', id, 'program');
  try {
    return Program.fromFd(fd);
  } catch (e) {
    native.close(fd);
    throw e;
  }
}

/** Open a map by id (you own the result). */
export function mapById(id: number): BpfMap {
  const fd = openById('MAP', id, 'map');
  try {
    return BpfMap.fromFd(fd);
  } catch (e) {
    native.close(fd);
    throw e;
  }
}

/** Open a link by id (you own the result; closing it does not detach others' links). */
export function linkById(id: number): Link {
  const fd = openById('LINK', id, 'link');
  try {
    return Link.fromFd(fd);
  } catch (e) {
    native.close(fd);
    throw e;
  }
}

/** bpf_link_info with the per-type target decoded. */
export function linkSummaryByFd(fd: number): LinkSummary {
  const base = linkInfoByFd(fd);
  const raw = base.raw;
  const u32 = (k: keyof typeof LinkInfo.fields & string) => readU32(LinkInfo, raw, k);
  const attach = (k: keyof typeof LinkInfo.fields & string) => enumName(AttachType, u32(k));
  let target: LinkTarget;
  switch (base.type) {
    case LinkType.CGROUP:
      target = { kind: 'cgroup', cgroupId: read(LinkInfo, raw, 'cgroup_id') as bigint, attachType: attach('cgroup_attach_type') };
      break;
    case LinkType.TCX:
    case LinkType.NETKIT:
      target = { kind: base.type === LinkType.TCX ? 'tcx' : 'netkit', ifindex: u32('tcx_ifindex'), attachType: attach('tcx_attach_type') };
      break;
    case LinkType.XDP:
      target = { kind: 'xdp', ifindex: u32('xdp_ifindex') };
      break;
    case LinkType.NETNS:
      target = { kind: 'netns', netnsIno: u32('netns_ino'), attachType: attach('netns_attach_type') };
      break;
    case LinkType.RAW_TRACEPOINT:
      target = { kind: 'raw_tracepoint', tpName: rawTracepointName(fd) };
      break;
    case LinkType.TRACING:
      target = { kind: 'tracing', attachType: attach('tracing_attach_type'), targetObjId: u32('tracing_target_obj_id'), targetBtfId: u32('tracing_target_btf_id') };
      break;
    case LinkType.NETFILTER:
      target = { kind: 'netfilter', pf: u32('netfilter_pf'), hooknum: u32('netfilter_hooknum'), priority: Number(read(LinkInfo, raw, 'netfilter_priority')) };
      break;
    case LinkType.SOCKMAP:
      target = { kind: 'sockmap', mapId: u32('sockmap_map_id'), attachType: attach('sockmap_attach_type') };
      break;
    default:
      target = { kind: 'other' };
  }
  return { id: base.id, type: base.type, typeName: base.typeName, progId: base.progId, target };
}

/** A raw_tracepoint link's tracepoint name: a second info call with a buffer. */
function rawTracepointName(fd: number): string {
  const buf = new Uint8Array(256);
  const info = objInfo(fd, LinkInfo, { raw_tp_name: buf, raw_tp_name_len: buf.byteLength });
  const len = Math.min(readU32(LinkInfo, info, 'raw_tp_name_len'), buf.byteLength);
  const end = buf.subarray(0, len).indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? len : end));
}

/** bpf_btf_info for a BTF fd, with its name. */
export function btfSummaryByFd(fd: number): BtfSummary {
  const name = new Uint8Array(64);
  const info = objInfo(fd, BtfInfo, { name, name_len: name.byteLength });
  const end = name.indexOf(0);
  return {
    id: readU32(BtfInfo, info, 'id'),
    name: new TextDecoder().decode(name.subarray(0, end < 0 ? name.byteLength : end)),
    size: readU32(BtfInfo, info, 'btf_size'),
    kernel: readU32(BtfInfo, info, 'kernel_btf') !== 0,
  };
}
