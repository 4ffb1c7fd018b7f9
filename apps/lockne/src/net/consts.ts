// Numbers from include/uapi/linux/{rtnetlink,fib_rules,if_addr,if_link,
// inet_diag,sock_diag,netlink}.h that Lockne's routing plumbing uses. The
// generic netlink framing constants (NlmF, NlMsgType) come from @lockne/bpf.

/**
 * The protocol tag Lockne puts on every rule (FRA_PROTOCOL) and route
 * (rtm_protocol) it creates: 0x4c = 76, "L". `lockne down` removes everything
 * carrying it, so a crash without a state file still cleans up. The kernel
 * does not interpret values >= RTPROT_STATIC (4); 76 is unassigned in
 * iproute2's rt_protos and by routing daemons.
 *
 * @example
 * deleteAllRulesWithProtocol(nl, LOCKNE_PROTOCOL); // `ip rule` lines with "proto 76"
 */
export const LOCKNE_PROTOCOL = 0x4c;

export const AF_INET = 2;
export const AF_INET6 = 10;

/** rtnetlink message types (RTM_*) beyond the ones @lockne/bpf names. */
export const RtmType = {
  NEWLINK: 16, GETLINK: 18,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
  NEWRULE: 32, DELRULE: 33, GETRULE: 34,
} as const;

/** struct fib_rule_hdr is 12 bytes: family, dst_len, src_len, tos, table, res1, res2, action, u32 flags. */
export const FIB_RULE_HDR_LEN = 12;
/** FRA_* attributes of a rule. */
export const Fra = {
  DST: 1, SRC: 2, IIFNAME: 3, GOTO: 4, PRIORITY: 6, FWMARK: 10, FLOW: 11, TUN_ID: 12,
  SUPPRESS_IFGROUP: 13, SUPPRESS_PREFIXLEN: 14, TABLE: 15, FWMASK: 16, OIFNAME: 17, PAD: 18,
  L3MDEV: 19, UID_RANGE: 20, PROTOCOL: 21, IP_PROTO: 22, SPORT_RANGE: 23, DPORT_RANGE: 24,
} as const;
/** fib_rule_hdr.action (FR_ACT_*). */
export const FrAct = { UNSPEC: 0, TO_TBL: 1, GOTO: 2, NOP: 3, BLACKHOLE: 6, UNREACHABLE: 7, PROHIBIT: 8 } as const;
/** fib_rule_hdr.flags. */
export const FIB_RULE_PERMANENT = 0x1;
export const FIB_RULE_INVERT = 0x2;

/** struct rtmsg is 12 bytes: family, dst_len, src_len, tos, table, protocol, scope, type, u32 flags. */
export const RTMSG_LEN = 12;
/** RTA_* attributes of a route. */
export const Rta = {
  DST: 1, SRC: 2, IIF: 3, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, METRICS: 8, MULTIPATH: 9,
  FLOW: 11, CACHEINFO: 12, TABLE: 15, MARK: 16, VIA: 18, PREF: 20, EXPIRES: 23, NH_ID: 30,
} as const;
/** rtm_type (RTN_*). */
export const Rtn = {
  UNSPEC: 0, UNICAST: 1, LOCAL: 2, BROADCAST: 3, ANYCAST: 4, MULTICAST: 5, BLACKHOLE: 6,
  UNREACHABLE: 7, PROHIBIT: 8, THROW: 9, NAT: 10, XRESOLVE: 11,
} as const;
/** rtm_scope (RT_SCOPE_*). */
export const RtScope = { UNIVERSE: 0, SITE: 200, LINK: 253, HOST: 254, NOWHERE: 255 } as const;
/** Reserved table ids. A rule or route in a table >= 256 carries it in FRA_TABLE/RTA_TABLE only. */
export const RtTable = { UNSPEC: 0, COMPAT: 252, DEFAULT: 253, MAIN: 254, LOCAL: 255 } as const;

/** struct ifaddrmsg is 8 bytes: family, prefixlen, flags, scope, u32 index. */
export const IFADDRMSG_LEN = 8;
/** IFA_* attributes of an address. */
export const Ifa = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, ANYCAST: 5, CACHEINFO: 6, MULTICAST: 7, FLAGS: 8 } as const;
/** IFA_F_* address flags (ifa_flags, or the u32 IFA_FLAGS). */
export const IfaF = { SECONDARY: 0x01, NODAD: 0x02, OPTIMISTIC: 0x04, DADFAILED: 0x08, HOMEADDRESS: 0x10, DEPRECATED: 0x20, TENTATIVE: 0x40, PERMANENT: 0x80 } as const;

/** IFLA_* link attributes Lockne reads (the rest are in @lockne/bpf's netlink.Ifla). */
export const IflaX = { IFNAME: 3, MTU: 4, OPERSTATE: 16, LINKINFO: 18 } as const;
/** Nested in IFLA_LINKINFO. */
export const IFLA_INFO_KIND = 1;
/** net_device flags (IFF_*). */
export const Iff = { UP: 0x1, BROADCAST: 0x2, LOOPBACK: 0x8, POINTOPOINT: 0x10, RUNNING: 0x40, NOARP: 0x80, LOWER_UP: 0x10000 } as const;

/** The netlink family of sock_diag (NETLINK_SOCK_DIAG, alias NETLINK_INET_DIAG). */
export const NETLINK_SOCK_DIAG = 4;
/** sock_diag message types. */
export const SOCK_DIAG_BY_FAMILY = 20;
export const SOCK_DESTROY = 21;
/** struct inet_diag_sockid: be16 sport, be16 dport, be32 src[4], be32 dst[4], u32 if, u32 cookie[2]. */
export const INET_DIAG_SOCKID_LEN = 48;
/** struct inet_diag_req_v2: u8 family, u8 protocol, u8 ext, u8 pad, u32 states, sockid. */
export const INET_DIAG_REQ_V2_LEN = 8 + INET_DIAG_SOCKID_LEN;
/** struct inet_diag_msg: u8 family, state, timer, retrans, sockid, u32 expires, rqueue, wqueue, uid, inode. */
export const INET_DIAG_MSG_LEN = 4 + INET_DIAG_SOCKID_LEN + 20;
/** idiag_cookie value meaning "any socket" (INET_DIAG_NOCOOKIE in both halves). */
export const INET_DIAG_NOCOOKIE = 0xffffffffffffffffn;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/**
 * Attributes after struct inet_diag_req_v2 in a SOCK_DIAG_BY_FAMILY request
 * (INET_DIAG_REQ_*). SK_BPF_STORAGES is a nest of SK_DIAG_BPF_STORAGE_REQ_MAP_FD
 * u32s; an empty nest asks for every SK_STORAGE map the socket has.
 */
export const InetDiagReq = { BYTECODE: 1, SK_BPF_STORAGES: 2, PROTOCOL: 3 } as const;
/** Reply attribute (after inet_diag_msg) holding a socket's BPF storages: nests of SK_DIAG_BPF_STORAGE. */
export const INET_DIAG_SK_BPF_STORAGES = 20;
/** Inside InetDiagReq.SK_BPF_STORAGES: one u32 map fd per attribute. */
export const SK_DIAG_BPF_STORAGE_REQ_MAP_FD = 1;
/** Inside INET_DIAG_SK_BPF_STORAGES: one nest per map that has a value for the socket. */
export const SK_DIAG_BPF_STORAGE = 1;
/** Inside SK_DIAG_BPF_STORAGE: u32 map id, the value bytes (64-bit aligned, PAD before it if needed). */
export const SkDiagBpfStorage = { PAD: 1, MAP_ID: 2, MAP_VALUE: 3 } as const;
