// Netlink wire format, pure: building messages with (nested) attributes and
// parsing replies. No sockets here, so all of it is testable without root.
//
// A message is nlmsghdr (16 bytes) + a family header (ifinfomsg, tcmsg, ...)
// + attributes. An attribute is nlattr {u16 len, u16 type} + payload, padded
// to 4 bytes; a nested attribute's payload is more attributes.
// (Netlink itself predates eBPF; extended acks need kernel 4.12+.)
//
// @example
// const bytes = encodeMessage({ type: Rtm.SETLINK, flags: NlmF.REQUEST | NlmF.ACK, header: encodeIfInfoMsg({ index: 3 }),
//   attrs: [attr.nested(Ifla.XDP, [attr.s32(IflaXdp.FD, progFd), attr.u32(IflaXdp.FLAGS, XdpFlags.SKB_MODE)])] });
// const [reply] = decodeMessages(received);
// Attrs.parse(reply.payload.subarray(IFINFOMSG_LEN)).nested(Ifla.XDP)?.u32(IflaXdp.PROG_ID);
import { NLA_F_NESTED, NLA_TYPE_MASK, NlMsgType, NlmsgerrAttr, NlmF } from './consts.js';

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;
export const align4 = (n: number): number => (n + 3) & ~3;

/** Raised when bytes from the kernel do not parse as netlink (a bug, not an errno). */
export class NetlinkParseError extends Error {
  override name = 'NetlinkParseError';
}

/** An attribute to encode: bytes, or child attributes (nested). */
export interface NlAttr {
  readonly type: number;
  readonly value: Uint8Array | readonly NlAttr[];
  /** For nested attributes: set NLA_F_NESTED in the type (default true). */
  readonly nestedFlag?: boolean;
}

/** Attribute constructors: `attr.u32(IflaXdp.FLAGS, 2)`, `attr.nested(Ifla.XDP, [...])`. */
export const attr = {
  bytes: (type: number, value: Uint8Array): NlAttr => ({ type, value }),
  u8: (type: number, v: number): NlAttr => ({ type, value: scalar(1, (d) => d.setUint8(0, v)) }),
  u16: (type: number, v: number): NlAttr => ({ type, value: scalar(2, (d) => d.setUint16(0, v, true)) }),
  u32: (type: number, v: number): NlAttr => ({ type, value: scalar(4, (d) => d.setUint32(0, v >>> 0, true)) }),
  s32: (type: number, v: number): NlAttr => ({ type, value: scalar(4, (d) => d.setInt32(0, v, true)) }),
  u64: (type: number, v: bigint): NlAttr => ({ type, value: scalar(8, (d) => d.setBigUint64(0, BigInt.asUintN(64, v), true)) }),
  /** A NUL-terminated string (NLA_STRING / NLA_NUL_STRING both accept it). */
  str: (type: number, s: string): NlAttr => ({ type, value: new TextEncoder().encode(`${s}\0`) }),
  flag: (type: number): NlAttr => ({ type, value: new Uint8Array(0) }),
  nested: (type: number, children: readonly NlAttr[], nestedFlag = true): NlAttr => ({ type, value: children, nestedFlag }),
};

function scalar(size: number, write: (d: DataView) => void): Uint8Array {
  const b = new Uint8Array(size);
  write(new DataView(b.buffer));
  return b;
}

/** Encoded size of attributes (each padded to 4 bytes). */
export function attrsSize(attrs: readonly NlAttr[]): number {
  let n = 0;
  for (const a of attrs) n += align4(NLA_HDRLEN + payloadSize(a));
  return n;
}

function payloadSize(a: NlAttr): number {
  return a.value instanceof Uint8Array ? a.value.byteLength : attrsSize(a.value);
}

/** Write attributes into `out` at `offset`; returns the offset after them. */
export function encodeAttrs(attrs: readonly NlAttr[], out: Uint8Array, offset = 0): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = offset;
  for (const a of attrs) {
    const len = NLA_HDRLEN + payloadSize(a);
    if (len > 0xffff) throw new RangeError(`netlink attribute ${a.type}: ${len} bytes does not fit nla_len`);
    const nested = !(a.value instanceof Uint8Array);
    view.setUint16(o, len, true);
    view.setUint16(o + 2, (a.type & NLA_TYPE_MASK) | (nested && a.nestedFlag !== false ? NLA_F_NESTED : 0), true);
    if (a.value instanceof Uint8Array) out.set(a.value, o + NLA_HDRLEN);
    else encodeAttrs(a.value, out, o + NLA_HDRLEN);
    o += align4(len);
  }
  return o;
}

export interface NlRequest {
  type: number;
  flags: number;
  seq?: number;
  pid?: number;
  /** The family header (ifinfomsg, tcmsg...), already encoded; padded to 4 bytes here. */
  header?: Uint8Array;
  attrs?: readonly NlAttr[];
}

/** One complete netlink message: header + family header + attributes. */
export function encodeMessage(m: NlRequest): Uint8Array {
  const head = m.header ?? new Uint8Array(0);
  const attrs = m.attrs ?? [];
  const len = NLMSG_HDRLEN + align4(head.byteLength) + attrsSize(attrs);
  const out = new Uint8Array(len);
  const view = new DataView(out.buffer);
  view.setUint32(0, len, true);
  view.setUint16(4, m.type, true);
  view.setUint16(6, m.flags, true);
  view.setUint32(8, (m.seq ?? 0) >>> 0, true);
  view.setUint32(12, (m.pid ?? 0) >>> 0, true);
  out.set(head, NLMSG_HDRLEN);
  encodeAttrs(attrs, out, NLMSG_HDRLEN + align4(head.byteLength));
  return out;
}

/** A parsed message; `payload` is everything after nlmsghdr. */
export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Uint8Array;
}

/** Split a datagram into messages; throws NetlinkParseError on a bad length. */
export function decodeMessages(buf: Uint8Array): NlMessage[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NlMessage[] = [];
  let o = 0;
  while (o + NLMSG_HDRLEN <= buf.byteLength) {
    const len = view.getUint32(o, true);
    if (len < NLMSG_HDRLEN || o + len > buf.byteLength) {
      throw new NetlinkParseError(`netlink message at byte ${o}: length ${len} does not fit the ${buf.byteLength - o} bytes left`);
    }
    out.push({
      type: view.getUint16(o + 4, true),
      flags: view.getUint16(o + 6, true),
      seq: view.getUint32(o + 8, true),
      pid: view.getUint32(o + 12, true),
      payload: buf.subarray(o + NLMSG_HDRLEN, o + len),
    });
    o += align4(len);
  }
  if (o < buf.byteLength) throw new NetlinkParseError(`netlink datagram: ${buf.byteLength - o} trailing bytes are not a whole message`);
  return out;
}

/** One parsed attribute. `type` has the NLA_F_* flags removed. */
export interface ParsedAttr {
  type: number;
  nested: boolean;
  data: Uint8Array;
}

/**
 * Parsed attributes with typed getters. Getters return undefined when the
 * attribute is absent and throw NetlinkParseError when it is too short.
 */
export class Attrs {
  constructor(readonly list: readonly ParsedAttr[]) {}

  /** Parse attributes from `buf` (e.g. a payload after its family header). */
  static parse(buf: Uint8Array): Attrs {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const list: ParsedAttr[] = [];
    let o = 0;
    while (o + NLA_HDRLEN <= buf.byteLength) {
      const len = view.getUint16(o, true);
      const rawType = view.getUint16(o + 2, true);
      if (len < NLA_HDRLEN || o + len > buf.byteLength) {
        throw new NetlinkParseError(`netlink attribute at byte ${o}: length ${len} does not fit the ${buf.byteLength - o} bytes left`);
      }
      list.push({ type: rawType & NLA_TYPE_MASK, nested: (rawType & NLA_F_NESTED) !== 0, data: buf.subarray(o + NLA_HDRLEN, o + len) });
      o += align4(len);
    }
    return new Attrs(list);
  }

  has(type: number): boolean {
    return this.list.some((a) => a.type === type);
  }

  /** The last attribute of this type (the kernel's nla_parse keeps the last too). */
  get(type: number): Uint8Array | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.type === type) return this.list[i]!.data;
    return undefined;
  }

  all(type: number): Uint8Array[] {
    return this.list.filter((a) => a.type === type).map((a) => a.data);
  }

  u8(type: number): number | undefined {
    return this.#view(type, 1)?.getUint8(0);
  }

  u16(type: number): number | undefined {
    return this.#view(type, 2)?.getUint16(0, true);
  }

  u32(type: number): number | undefined {
    return this.#view(type, 4)?.getUint32(0, true);
  }

  s32(type: number): number | undefined {
    return this.#view(type, 4)?.getInt32(0, true);
  }

  u64(type: number): bigint | undefined {
    return this.#view(type, 8)?.getBigUint64(0, true);
  }

  /** A string attribute, up to its first NUL. */
  str(type: number): string | undefined {
    const d = this.get(type);
    if (!d) return undefined;
    const end = d.indexOf(0);
    return new TextDecoder().decode(end < 0 ? d : d.subarray(0, end));
  }

  nested(type: number): Attrs | undefined {
    const d = this.get(type);
    return d ? Attrs.parse(d) : undefined;
  }

  #view(type: number, size: number): DataView | undefined {
    const d = this.get(type);
    if (!d) return undefined;
    if (d.byteLength < size) throw new NetlinkParseError(`netlink attribute ${type}: ${d.byteLength} bytes, expected ${size}`);
    return new DataView(d.buffer, d.byteOffset, d.byteLength);
  }
}

/** What an NLMSG_ERROR (or an NLMSG_DONE carrying an error) says. */
export interface NlErrorInfo {
  /** 0 for an ACK, else a positive errno. */
  errno: number;
  /** The kernel's extended-ack message, e.g. "Exclusivity flag on, cannot modify." */
  message?: string;
  /** Byte offset of the offending attribute in the request, when the kernel says. */
  offset?: number;
  /** nlmsg_type of the request this answers. */
  requestType: number;
  requestSeq: number;
}

/**
 * Decode struct nlmsgerr {int error; struct nlmsghdr msg; ...} and the
 * extended-ack TLVs that follow when NLM_F_ACK_TLVS is set.
 */
export function parseError(m: NlMessage): NlErrorInfo {
  const p = m.payload;
  if (p.byteLength < 4) throw new NetlinkParseError(`NLMSG_ERROR payload is ${p.byteLength} bytes`);
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const error = view.getInt32(0, true);
  const info: NlErrorInfo = { errno: -error, requestType: 0, requestSeq: 0 };
  if (p.byteLength >= 4 + NLMSG_HDRLEN) {
    info.requestType = view.getUint16(4 + 4, true);
    info.requestSeq = view.getUint32(4 + 8, true);
  }
  if (m.flags & NlmF.ACK_TLVS && p.byteLength >= 4 + NLMSG_HDRLEN) {
    // Without NLM_F_CAPPED the whole request is echoed before the TLVs.
    const echoed = m.flags & NlmF.CAPPED ? NLMSG_HDRLEN : view.getUint32(4, true);
    const start = 4 + align4(echoed);
    if (start <= p.byteLength) {
      const tlv = Attrs.parse(p.subarray(start));
      const msg = tlv.str(NlmsgerrAttr.MSG);
      if (msg) info.message = msg;
      const offs = tlv.u32(NlmsgerrAttr.OFFS);
      if (offs !== undefined) info.offset = offs;
    }
  }
  return info;
}

/** NLMSG_DONE of a dump carries an int: 0, or -errno when the dump failed. */
export function parseDone(m: NlMessage): NlErrorInfo {
  if (m.payload.byteLength < 4) return { errno: 0, requestType: 0, requestSeq: m.seq };
  const view = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const info: NlErrorInfo = { errno: -view.getInt32(0, true), requestType: 0, requestSeq: m.seq };
  if (m.flags & NlmF.ACK_TLVS && m.payload.byteLength > 4) {
    const msg = Attrs.parse(m.payload.subarray(4)).str(NlmsgerrAttr.MSG);
    if (msg) info.message = msg;
  }
  return info;
}

export const isError = (m: NlMessage): boolean => m.type === NlMsgType.ERROR;
export const isDone = (m: NlMessage): boolean => m.type === NlMsgType.DONE;
