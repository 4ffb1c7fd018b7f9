// What sk_msg and sk_skb attachment share: the target is a SOCKMAP/SOCKHASH map,
// by bpf_link (BPF_LINK_CREATE, link type SOCKMAP, kernel 6.10+) or by the
// older BPF_PROG_ATTACH / BPF_PROG_DETACH pair (4.14+). The kernel copies the
// map's programs into each socket when it is inserted: attach first, then add
// sockets; detaching affects only sockets added afterwards.
import { FdHandle } from '../fd.js';
import { readU32 } from '../sys/layout.js';
import { LinkInfo } from '../sys/attrs.js';
import { AttachType, MapType, ProgType, enumName, type AttachTypeName } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import { mapFdById, mapInfoByFd } from '../maps/map.js';
import type { Program } from '../programs/program.js';
import { Link, type LinkInfoResult } from './link.js';
import { ProgAttachment, progAttach } from './attach-legacy.js';

/** A sockmap or sockhash: a BpfMap (checked) or a raw map fd. */
export type SockmapTarget = { readonly fd: number; readonly type?: number } | number;

/**
 * 'link' (default): BPF_LINK_CREATE. 'prog-attach': legacy BPF_PROG_ATTACH; the
 * returned ProgAttachment holds its own references to the program and the map
 * and issues BPF_PROG_DETACH on close().
 */
export type SockmapAttachMode = 'link' | 'prog-attach';

export interface SockmapAttachOptions<M extends SockmapAttachMode = SockmapAttachMode> {
  mode?: M;
}

/** Link info of a sockmap link. */
export interface SockmapLinkInfo extends LinkInfoResult {
  /** Id of the map the program is attached to; 0 once the map is gone or the link detached. */
  mapId: number;
  attachType: number;
  attachTypeName: string;
}

/**
 * Decode the sockmap part of a link's info (link type SOCKMAP).
 * @example sockmapLinkInfo(attachSkMsg(prog, map)).mapId === map.info().id
 */
export function sockmapLinkInfo(link: Link): SockmapLinkInfo {
  const base = link.info();
  if (base.typeName !== 'SOCKMAP') throw new ArgumentError(`${link.handle.description} is a ${base.typeName} link, not SOCKMAP`);
  const attachType = readU32(LinkInfo, base.raw, 'sockmap_attach_type');
  return { ...base, mapId: readU32(LinkInfo, base.raw, 'sockmap_map_id'), attachType, attachTypeName: enumName(AttachType, attachType) };
}

/** Attach `prog` to a sockmap/sockhash; shared by attachSkMsg and attachSkSkb. */
export function attachToSockmap(
  prog: Program, map: SockmapTarget, attachType: AttachTypeName, progType: number, mode: SockmapAttachMode,
): Link | ProgAttachment {
  if (prog.type !== progType) {
    throw new ArgumentError(`${prog.handle.description} is ${enumName(ProgType, prog.type)}; ${attachType} needs ${enumName(ProgType, progType)}`);
  }
  const mapFd = typeof map === 'number' ? map : map.fd;
  const mapType = typeof map === 'number' ? undefined : map.type;
  if (mapType !== undefined && mapType !== MapType.SOCKMAP && mapType !== MapType.SOCKHASH) {
    throw new ArgumentError(`${attachType} attaches to a SOCKMAP or SOCKHASH, not a ${enumName(MapType, mapType)} map`);
  }
  if (mode === 'link') {
    return Link.create(prog, mapFd, attachType, { what: `${attachType} link of ${prog.handle.description} on map fd ${mapFd}` });
  }
  if (mode !== 'prog-attach') throw new ArgumentError(`unknown sockmap attach mode '${String(mode)}'`);
  // The attachment keeps its own map fd, so it can detach after the caller closed the map.
  const id = mapInfoByFd(mapFd).id;
  const own = new FdHandle(mapFdById(id), `map id ${id}`);
  return progAttach(prog, { kind: 'fd', fd: own }, AttachType[attachType], { what: `${attachType} on map id ${id}` });
}
