// Context structs the programs receive in R1: TS property → (offset, load size).
// Offsets from include/uapi/linux/bpf.h; the kernel rewrites these loads.
import { INT, type IntTy, type Layout, type StructTy } from '../ir/types.js';

/**
 * `access`: the load/store width when it differs from the value's type (a be16 port in a 32-bit field).
 * `length`: the field is an array of `length` elements of `ty` (`ctx.userIp6[i]`).
 */
export interface CtxField { readonly off: number; readonly ty: IntTy; readonly access?: IntTy; readonly length?: number }
/** `bpf_raw_tracepoint_args` / `trace_event_raw` have no named fields: read through ctx.arg(n) / ctx.args(T). */
export type CtxKind = 'xdp_md' | '__sk_buff' | 'bpf_sock' | 'bpf_sock_addr' | 'bpf_sockopt' | 'bpf_sysctl' | 'bpf_cgroup_dev_ctx'
  | 'bpf_sock_ops' | 'bpf_sk_lookup' | 'sk_msg_md' | 'bpf_iter_task' | 'bpf_iter_sk_storage_map'
  | 'bpf_raw_tracepoint_args' | 'trace_event_raw'
  /** No context (a bpf_loop callback: R1 is the index). */
  | 'none';

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

// struct bpf_sysctl (cgroup sysctl programs): write is read-only, file_pos writable (4-byte stores).
const BPF_SYSCTL: Record<string, CtxField> = { write: f(0, INT.u32), filePos: f(4, INT.u32) };

// struct bpf_cgroup_dev_ctx (cgroup device programs): access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*.
const BPF_CGROUP_DEV_CTX: Record<string, CtxField> = { accessType: f(0, INT.u32), major: f(4, INT.u32), minor: f(8, INT.u32) };

// struct bpf_sock_ops (sockops programs): args[] is a union with reply/replylong[] (writable, like sk_txhash).
const BPF_SOCK_OPS: Record<string, CtxField> = {
  op: f(0, INT.u32), args: arr(4, INT.u32, 4), reply: f(4, INT.u32), replylong: arr(4, INT.u32, 4), family: f(20, INT.u32),
  remoteIp4: f(24, INT.u32), localIp4: f(28, INT.u32), remoteIp6: arr(32, INT.u32, 4), localIp6: arr(48, INT.u32, 4),
  remotePort: f(64, INT.u32), localPort: f(68, INT.u32), isFullsock: f(72, INT.u32), sndCwnd: f(76, INT.u32), srttUs: f(80, INT.u32),
  bpfSockOpsCbFlags: f(84, INT.u32), state: f(88, INT.u32), rttMin: f(92, INT.u32), sndSsthresh: f(96, INT.u32), rcvNxt: f(100, INT.u32),
  sndNxt: f(104, INT.u32), sndUna: f(108, INT.u32), mssCache: f(112, INT.u32), ecnFlags: f(116, INT.u32), rateDelivered: f(120, INT.u32),
  rateIntervalUs: f(124, INT.u32), packetsOut: f(128, INT.u32), retransOut: f(132, INT.u32), totalRetrans: f(136, INT.u32),
  segsIn: f(140, INT.u32), dataSegsIn: f(144, INT.u32), segsOut: f(148, INT.u32), dataSegsOut: f(152, INT.u32), lostOut: f(156, INT.u32),
  sackedOut: f(160, INT.u32), skTxhash: f(164, INT.u32), bytesReceived: f(168, INT.u64), bytesAcked: f(176, INT.u64),
};

// struct bpf_sk_lookup (sk_lookup programs); remote_port is a be16 followed by 16 bits of padding.
const BPF_SK_LOOKUP: Record<string, CtxField> = {
  family: f(8, INT.u32), protocol: f(12, INT.u32), remoteIp4: f(16, INT.u32), remoteIp6: arr(20, INT.u32, 4), remotePort: f(36, INT.u16),
  localIp4: f(40, INT.u32), localIp6: arr(44, INT.u32, 4), localPort: f(60, INT.u32), ingressIfindex: f(64, INT.u32),
};

// struct sk_msg_md (sk_msg programs); data/data_end (0, 8) and sk (72) are not exposed.
const SK_MSG_MD: Record<string, CtxField> = {
  family: f(16, INT.u32), remoteIp4: f(20, INT.u32), localIp4: f(24, INT.u32), remoteIp6: arr(28, INT.u32, 4), localIp6: arr(44, INT.u32, 4),
  remotePort: f(60, INT.u32), localPort: f(64, INT.u32), size: f(68, INT.u32),
};

// struct bpf_iter__task: meta (0) and task (8) are pointers; `task` reads as its address (0 at the end).
// seqNum and seqWrite go through meta (front/iter.ts).
const BPF_ITER_TASK: Record<string, CtxField> = { task: f(8, INT.u64) };

/** Where bpf_sockopt keeps its `struct bpf_sock *sk` (an 8-byte load the kernel rewrites). */
export const SOCKOPT_SK_OFF = 0;

const TABLES: Record<CtxKind, Record<string, CtxField>> = {
  xdp_md: XDP_MD, __sk_buff: SK_BUFF, bpf_sock: BPF_SOCK, bpf_sock_addr: BPF_SOCK_ADDR, bpf_sockopt: BPF_SOCKOPT,
  bpf_sysctl: BPF_SYSCTL, bpf_cgroup_dev_ctx: BPF_CGROUP_DEV_CTX,
  bpf_sock_ops: BPF_SOCK_OPS, bpf_sk_lookup: BPF_SK_LOOKUP, sk_msg_md: SK_MSG_MD, bpf_iter_task: BPF_ITER_TASK, bpf_iter_sk_storage_map: {}, bpf_raw_tracepoint_args: {}, trace_event_raw: {}, none: {},
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
