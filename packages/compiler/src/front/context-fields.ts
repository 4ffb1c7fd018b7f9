// Context structs the programs receive in R1: TS property → (offset, load size).
// Offsets from include/uapi/linux/bpf.h; the kernel rewrites these loads.
import { INT, type IntTy, type Layout, type StructTy } from '../ir/types.js';

/**
 * `access`: the load/store width when it differs from the value's type (a be16 port in a 32-bit field).
 * `length`: the field is an array of `length` elements of `ty` (`ctx.userIp6[i]`).
 */
export interface CtxField { readonly off: number; readonly ty: IntTy; readonly access?: IntTy; readonly length?: number }
/** `bpf_raw_tracepoint_args` / `trace_event_raw` have no named fields: read through ctx.arg(n) / ctx.args(T). */
export type CtxKind = 'xdp_md' | '__sk_buff' | 'bpf_sock' | 'bpf_sock_addr' | 'bpf_sockopt' | 'bpf_raw_tracepoint_args' | 'trace_event_raw';

const f = (off: number, ty: IntTy): CtxField => ({ off, ty });
const arr = (off: number, ty: IntTy, length: number): CtxField => ({ off, ty, length });

const XDP_MD: Record<string, CtxField> = {
  ingressIfindex: f(12, INT.u32), rxQueueIndex: f(16, INT.u32), egressIfindex: f(20, INT.u32),
};

// be16 fields (protocol, vlanProto) are 32-bit fields holding a 16-bit value.
const SK_BUFF: Record<string, CtxField> = {
  len: f(0, INT.u32), pktType: f(4, INT.u32), mark: f(8, INT.u32), queueMapping: f(12, INT.u32), protocol: f(16, INT.u32),
  vlanPresent: f(20, INT.u32), vlanTci: f(24, INT.u32), vlanProto: f(28, INT.u32), priority: f(32, INT.u32),
  ingressIfindex: f(36, INT.u32), ifindex: f(40, INT.u32), tcIndex: f(44, INT.u32), hash: f(68, INT.u32),
  tcClassid: f(72, INT.u32), napiId: f(84, INT.u32), family: f(88, INT.u32), remoteIp4: f(92, INT.u32),
  localIp4: f(96, INT.u32), cb: arr(48, INT.u32, 5), remoteIp6: arr(100, INT.u32, 4), localIp6: arr(116, INT.u32, 4), remotePort: f(132, INT.u32), localPort: f(136, INT.u32), tstamp: f(152, INT.u64),
  wireLen: f(160, INT.u32), gsoSegs: f(164, INT.u32), gsoSize: f(176, INT.u32), hwtstamp: f(184, INT.u64),
};

// struct bpf_sock (cgroup sock programs); dstPort is a 16-bit field in network order.
const BPF_SOCK: Record<string, CtxField> = {
  boundDevIf: f(0, INT.u32), family: f(4, INT.u32), type: f(8, INT.u32), protocol: f(12, INT.u32), mark: f(16, INT.u32),
  priority: f(20, INT.u32), srcIp4: f(24, INT.u32), srcIp6: arr(28, INT.u32, 4), srcPort: f(44, INT.u32), dstPort: f(48, INT.u16), dstIp4: f(52, INT.u32), dstIp6: arr(56, INT.u32, 4),
  state: f(72, INT.u32), rxQueueMapping: f(76, INT.i32),
};

// struct bpf_sock_addr (cgroup sock_addr programs). user_port holds a be16 in a
// 32-bit field; the kernel takes only 4-byte stores there, so it is accessed as W.
const BPF_SOCK_ADDR: Record<string, CtxField> = {
  userFamily: f(0, INT.u32), userIp4: f(4, INT.u32), userIp6: arr(8, INT.u32, 4), userPort: { off: 24, ty: INT.u16, access: INT.u32 },
  family: f(28, INT.u32), type: f(32, INT.u32), protocol: f(36, INT.u32), msgSrcIp4: f(40, INT.u32),
  msgSrcIp6: arr(44, INT.u32, 4),
};

// struct bpf_sockopt (cgroup sockopt programs); `sk` (offset 0) is a pointer: see sockLayout.
const BPF_SOCKOPT: Record<string, CtxField> = {
  level: f(24, INT.i32), optname: f(28, INT.i32), optlen: f(32, INT.i32), retval: f(36, INT.i32),
};

/** Where bpf_sockopt keeps its `struct bpf_sock *sk` (an 8-byte load the kernel rewrites). */
export const SOCKOPT_SK_OFF = 0;

const TABLES: Record<CtxKind, Record<string, CtxField>> = {
  xdp_md: XDP_MD, __sk_buff: SK_BUFF, bpf_sock: BPF_SOCK, bpf_sock_addr: BPF_SOCK_ADDR, bpf_sockopt: BPF_SOCKOPT,
  bpf_raw_tracepoint_args: {}, trace_event_raw: {},
};

/** struct bpf_sock as a layout (what `ctx.sk` points to), from the same field table as SockContext. */
export const SOCK_LAYOUT: StructTy = {
  kind: 'struct', name: 'bpf_sock', size: 80, align: 4,
  fields: Object.entries(BPF_SOCK).map(([name, x]) => {
    const size = x.ty.bits / 8;
    const ty: Layout = x.length ? { kind: 'array', name: `${x.ty.name}[${x.length}]`, elem: x.ty, length: x.length, size: size * x.length, align: size } : x.ty;
    return { name, off: x.off, ty };
  }),
};

export function ctxField(kind: CtxKind, name: string): CtxField | undefined {
  return Object.prototype.hasOwnProperty.call(TABLES[kind], name) ? TABLES[kind][name] : undefined;
}
