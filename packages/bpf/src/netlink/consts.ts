// Numbers from include/uapi/linux/{netlink,rtnetlink,if_link,pkt_sched,pkt_cls}.h
// that the rtnetlink client and the tc/XDP attach code use.

export const AF_NETLINK = 16;
export const AF_UNSPEC = 0;
export const NETLINK_ROUTE = 0;
export const SOL_NETLINK = 270;
/** setsockopt(SOL_NETLINK): cap the echoed request in error acks / send error strings. */
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;

/** nlmsghdr.nlmsg_type values shared by every netlink family. */
export const NlMsgType = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;

/** nlmsghdr.nlmsg_flags. GET/NEW/DELETE modifiers reuse the same bits. */
export const NlmF = {
  REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, ECHO: 0x8, DUMP_INTR: 0x10, DUMP_FILTERED: 0x20,
  // GET
  ROOT: 0x100, MATCH: 0x200, ATOMIC: 0x400, DUMP: 0x300,
  // NEW
  REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400, APPEND: 0x800,
  // acks
  CAPPED: 0x100, ACK_TLVS: 0x200,
} as const;

/** Extended ack TLVs after struct nlmsgerr. */
export const NlmsgerrAttr = { MSG: 1, OFFS: 2, COOKIE: 3, POLICY: 4, MISS_TYPE: 5, MISS_NEST: 6 } as const;

/** nlattr type flags; the type proper is the low 14 bits. */
export const NLA_F_NESTED = 1 << 15;
export const NLA_F_NET_BYTEORDER = 1 << 14;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** rtnetlink message types (the ones Lockne sends or parses). */
export const Rtm = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19,
  NEWQDISC: 36, DELQDISC: 37, GETQDISC: 38,
  NEWTFILTER: 44, DELTFILTER: 45, GETTFILTER: 46,
} as const;

/** "RTM_NEWTFILTER" for 44, for error messages. */
export function rtmName(type: number): string {
  for (const [k, v] of Object.entries(Rtm)) if (v === type) return `RTM_${k}`;
  for (const [k, v] of Object.entries(NlMsgType)) if (v === type) return `NLMSG_${k}`;
  return `nlmsg type ${type}`;
}

/** struct ifinfomsg attributes. */
export const Ifla = { ADDRESS: 1, IFNAME: 3, MTU: 4, LINK: 5, OPERSTATE: 16, XDP: 43 } as const;
/** IFLA_OPERSTATE values (RFC 2863). */
export const OperState = { UNKNOWN: 0, NOTPRESENT: 1, DOWN: 2, LOWERLAYERDOWN: 3, TESTING: 4, DORMANT: 5, UP: 6 } as const;
/** Nested in IFLA_XDP. */
export const IflaXdp = {
  FD: 1, ATTACHED: 2, FLAGS: 3, PROG_ID: 4, DRV_PROG_ID: 5, SKB_PROG_ID: 6, HW_PROG_ID: 7, EXPECTED_FD: 8,
} as const;
/** IFLA_XDP_ATTACHED values. */
export const XdpAttached = { NONE: 0, DRV: 1, SKB: 2, HW: 3, MULTI: 4 } as const;

/** struct tcmsg attributes. */
export const Tca = { KIND: 1, OPTIONS: 2, STATS: 3, XSTATS: 4, RATE: 5, FCNT: 6, STATS2: 7, STAB: 8, PAD: 9, DUMP_INVISIBLE: 10, CHAIN: 11 } as const;
/** Nested in TCA_OPTIONS of a "bpf" (cls_bpf) filter. */
export const TcaBpf = {
  ACT: 1, POLICE: 2, CLASSID: 3, OPS_LEN: 4, OPS: 5, FD: 6, NAME: 7, FLAGS: 8, FLAGS_GEN: 9, TAG: 10, ID: 11,
} as const;
/** TCA_BPF_FLAGS: run in direct-action mode (the return value is the verdict). */
export const TCA_BPF_FLAG_ACT_DIRECT = 1;

/** Qdisc/filter handles: major:minor packed in a u32. */
export const TC_H_ROOT = 0xffffffff;
export const TC_H_INGRESS = 0xfffffff1;
/** clsact sits at the same parent as the ingress qdisc. */
export const TC_H_CLSACT = TC_H_INGRESS;
export const TC_H_MIN_INGRESS = 0xfff2;
export const TC_H_MIN_EGRESS = 0xfff3;
export const TC_H_MAJ_MASK = 0xffff0000;
export const TC_H_MIN_MASK = 0x0000ffff;
/** TC_H_MAKE(maj, min) as an unsigned 32-bit value. */
export function tcHandle(major: number, minor: number): number {
  return ((major & TC_H_MAJ_MASK) | (minor & TC_H_MIN_MASK)) >>> 0;
}

/** ETH_P_ALL: a filter that sees every protocol. */
export const ETH_P_ALL = 0x0003;
