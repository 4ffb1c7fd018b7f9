// Lockne's kernel side: decide each socket's route once, when it is created.
//
// sock_create finds the socket's profile (the cgroup `lockne run`/`attach`
// put the process in, else the exe rule matched at exec and inherited at
// fork, else the exclude-mode default) and sets its mark; policy routing
// (fwmark → table → default dev <tunnel>) does the rest, before the first
// route lookup, so the source address is the tunnel's. The other hooks keep
// the mark in place (setsockopt), send DNS to the profile's server
// (connect/sendmsg/recvmsg), count bytes (cgroup_skb) and forget a socket when
// it closes (sock_release).
//
// What Lockne knows of a socket lives in the socket itself (socket-local
// storage): every hook, the per-packet ones included, finds it from the socket
// pointer it is given, without hashing a cookie; it cannot leak, and there is no
// table of sockets to fill up.
import {
  cgroupSock, cgroupSockAddr, cgroupSkb, cgroupSockopt, tracepoint, iterSkStorage, CgroupVerdict, AddressFamily,
  HashMap, ArrayMap, PerCpuArrayMap, RingBuf, SkStorage, StorageFlag, struct, array, bpf, atomicAdd, rodata, license,
  u8, u16, u32, u64, be16, be32, i32, htons, type Infer, type SockAddrContext,
} from '@lockne/kernel';

export const LICENSE = license('Dual MIT/GPL');

/** Marks Lockne owns: (mark & MARK_MASK) === markBase. Set by the loader before load. */
export const markBase = rodata(u32, 0x4c4e0000);
export const markMask = rodata(u32, 0xffff0000);

/** Profile index meaning "listed as excluded: leave the socket alone". */
const DIRECT = 0xffff;
const DNS_PORT = 53;
const SOL_SOCKET = 1;
const SO_MARK = 36;
const PAGE_SIZE = 4096;

/** One routing profile (index 1..15; 0 means none). */
export const Profile = struct('lockne_profile', {
  mark: u32,
  /** 1: rewrite IPv4 DNS to dns4, 2: rewrite IPv6 DNS to dns6, 4: refuse IPv6 DNS it cannot rewrite. */
  flags: u32,
  dns4: be32,
  dns6: array(be32, 4),
});
export type Profile = Infer<typeof Profile>;

/** Settings that apply to every socket. */
export const Settings = struct('lockne_settings', {
  /** Only sockets of this network namespace are routed (its cookie; 0: every namespace). */
  netnsCookie: u64,
  /** Profile of sockets no rule matched (the exclude-mode profile), 0 for none. */
  defaultProfile: u32,
  pad: u32,
});

/** What Lockne knows of a socket it routed, from sock_create to sock_release (its socket-local storage). */
export const SockInfo = struct('lockne_sock', {
  // Sending runs on the app's CPU, receiving in softirq on another: the tx and
  // rx counters sit a cache line apart so the two never fight over one line.
  txBytes: u64,
  txPackets: u64,
  created: u64,
  tgid: u32,
  uid: u32,
  profile: u32,
  family: u16,
  protocol: u16,
  /** Last destination (connect or sendmsg), network order; IPv4 in dst[0]. */
  dst: array(be32, 4),
  dport: be16,
  /** The destination before the DNS rewrite (restored on recvmsg). */
  origDnsPort: be16,
  origDns: array(be32, 4),
  /** ktime of sock_release (0 while the app holds the socket): the counts were folded into `apps` then. */
  released: u64,
  pad: array(u64, 3),
  rxBytes: u64,
  rxPackets: u64,
});
export type SockInfo = Infer<typeof SockInfo>;

/** Totals of a process's closed sockets. */
export const AppStats = struct('lockne_app', {
  txBytes: u64,
  rxBytes: u64,
  txPackets: u64,
  rxPackets: u64,
  sockets: u64,
  profile: u32,
  pad: u32,
});
export type AppStats = Infer<typeof AppStats>;

/** An event for `lockne monitor`: kind 1 connect, 2 close. */
export const ConnEvent = struct('lockne_event', {
  cookie: u64,
  txBytes: u64,
  rxBytes: u64,
  kind: u32,
  tgid: u32,
  profile: u32,
  family: u16,
  protocol: u16,
  dst: array(be32, 4),
  dport: be16,
  pad: u16,
});
export type ConnEvent = Infer<typeof ConnEvent>;

/** An executable path, NUL-padded (exe rules hash it). */
export const ExePath = struct('lockne_exe_path', { bytes: array(u8, 256) });

/** sched_process_exec's record (the filename is a __data_loc string). */
export const ExecArgs = struct('lockne_exec_args', { common: u64, filenameLoc: u32, pid: i32, oldPid: i32 });
/** sched_process_fork's record on kernels with __data_loc comms (6.x; checked by the loader). */
export const ForkArgs = struct('lockne_fork_args', { common: u64, parentCommLoc: u32, parentPid: i32, childCommLoc: u32, childPid: i32 });

export const profiles = new ArrayMap<Profile>({ maxEntries: 16, value: Profile });
export const settings = new ArrayMap<Infer<typeof Settings>>({ maxEntries: 1, value: Settings });
/** cgroup id → profile (cgroups made by `lockne run` and `lockne attach`). */
export const cgroupProfiles = new HashMap<u64, u32>({ maxEntries: 256, key: u64, value: u32, flags: 1 });
/** FNV-1a hash of an executable path → profile (`lockne rule add --exe`). */
export const exeRules = new HashMap<u64, u32>({ maxEntries: 256, key: u64, value: u32, flags: 1 });
/** tgid or tid → profile: set at exec by an exe rule, copied to children at fork. */
export const taskProfiles = new HashMap<u32, u32>({ maxEntries: 4096, key: u32, value: u32, flags: 1 });
/** Per socket: what we know of it. Made at sock_create, dropped at sock_release (or with the socket). */
export const sockets = new SkStorage<SockInfo>({ value: SockInfo });
/** tgid → totals of its closed sockets. */
export const apps = new HashMap<u32, AppStats>({ maxEntries: 1024, key: u32, value: AppStats, flags: 1 });
export const events = new RingBuf({ size: 1 << 15 });
/** Per-CPU scratch for the exec path (too big for the 512-byte stack next to everything else). */
export const scratch = new PerCpuArrayMap<Infer<typeof ExePath>>({ maxEntries: 1, value: ExePath });

/** The creating process's profile: its cgroup's, else its exe rule's, else the default. */
function profileOfCurrent(defaultProfile: u32): u32 {
  const byCgroup = cgroupProfiles.lookup(bpf.getCurrentCgroupId());
  if (byCgroup !== null) return byCgroup.value;
  const byTask = taskProfiles.lookup(u32(bpf.getCurrentPidTgid() >> 32n));
  if (byTask !== null) return byTask.value;
  return defaultProfile;
}

export const sockCreate = cgroupSock('sock_create', (ctx) => {
  if (ctx.family !== AddressFamily.INET && ctx.family !== AddressFamily.INET6) return CgroupVerdict.ALLOW;
  const s = settings.lookup(0);
  if (s === null) return CgroupVerdict.ALLOW;
  // Policy routing is per network namespace: elsewhere a mark would mean nothing (or something else).
  if (s.value.netnsCookie !== 0n && bpf.getNetnsCookie(ctx) !== s.value.netnsCookie) return CgroupVerdict.ALLOW;
  const profile = profileOfCurrent(s.value.defaultProfile);
  if (profile === 0) return CgroupVerdict.ALLOW;
  if (profile === DIRECT) {
    // Excluded apps get Lockne's base mark: no rule matches it (they go direct), but
    // the per-packet counters can tell every socket Lockne tracks by its mark.
    ctx.mark = markBase.value;
  } else {
    const p = profiles.lookup(profile);
    if (p === null) return CgroupVerdict.ALLOW;
    ctx.mark = p.value.mark;
  }
  // A new value is zeroed: only what is known now is written.
  const info = sockets.get(ctx, StorageFlag.CREATE);
  if (info === null) return CgroupVerdict.ALLOW;
  info.value.created = bpf.ktimeGetNs();
  info.value.tgid = u32(bpf.getCurrentPidTgid() >> 32n);
  info.value.uid = u32(bpf.getCurrentUidGid() & 0xffffffffn);
  info.value.profile = profile;
  info.value.family = u16(ctx.family);
  info.value.protocol = u16(ctx.protocol);
  return CgroupVerdict.ALLOW;
});

export const sockRelease = cgroupSock('sock_release', (ctx) => {
  const s = sockets.get(ctx);
  if (s === null) return CgroupVerdict.ALLOW;
  const a = apps.lookup(s.value.tgid);
  if (a !== null) {
    atomicAdd(a.value.txBytes, s.value.txBytes);
    atomicAdd(a.value.rxBytes, s.value.rxBytes);
    atomicAdd(a.value.txPackets, s.value.txPackets);
    atomicAdd(a.value.rxPackets, s.value.rxPackets);
    atomicAdd(a.value.sockets, 1n);
  } else {
    apps.update(s.value.tgid, {
      txBytes: s.value.txBytes, rxBytes: s.value.rxBytes, txPackets: s.value.txPackets, rxPackets: s.value.rxPackets,
      sockets: 1n, profile: s.value.profile, pad: 0,
    });
  }
  sockEvent(2, bpf.getSocketCookie(ctx), s.value);
  // The value goes with the socket (cgroup sock programs cannot delete it). Until then `status` skips
  // it, and what a closing TCP socket still sends (FIN, retransmits) is no longer the app's.
  s.value.released = bpf.ktimeGetNs();
  return CgroupVerdict.ALLOW;
});

/** Tell `lockne monitor` about a socket: kind 1 its first destination, 2 its close (with its counts). */
function sockEvent(kind: u32, cookie: u64, s: SockInfo): void {
  const e = events.reserve(ConnEvent);
  if (e === null) return;
  e.value.cookie = cookie;
  e.value.txBytes = s.txBytes;
  e.value.rxBytes = s.rxBytes;
  e.value.kind = kind;
  e.value.tgid = s.tgid;
  e.value.profile = s.profile;
  e.value.family = s.family;
  e.value.protocol = s.protocol;
  e.value.dst[0] = s.dst[0];
  e.value.dst[1] = s.dst[1];
  e.value.dst[2] = s.dst[2];
  e.value.dst[3] = s.dst[3];
  e.value.dport = s.dport;
  e.value.pad = 0;
  events.submit(e);
}

/** A routed socket cannot change its mark (SO_MARK needs CAP_NET_ADMIN, but root apps exist). */
export const guardMark = cgroupSockopt('setsockopt', (ctx) => {
  if (ctx.level === SOL_SOCKET && ctx.optname === SO_MARK && (ctx.sk.mark & markMask.value) === markBase.value) {
    // Only Lockne's namespace: elsewhere a mark in this range is someone else's business.
    const s = settings.lookup(0);
    if (s !== null && (s.value.netnsCookie === 0n || bpf.getNetnsCookie(ctx) === s.value.netnsCookie)) return CgroupVerdict.REJECT;
  }
  // Options longer than a page reach us truncated: tell the kernel to use the app's own buffer.
  if (ctx.optlen > PAGE_SIZE) ctx.optlen = 0;
  return CgroupVerdict.ALLOW;
});

/** IPv4 connect()/sendmsg(): remember the destination; send DNS to the profile's server. */
function onAddr4(ctx: SockAddrContext): CgroupVerdict {
  const s = sockets.get(ctx);
  if (s === null) return CgroupVerdict.ALLOW;
  const first = s.value.dport === 0;
  s.value.dst[0] = ctx.userIp4;
  s.value.dport = ctx.userPort;
  if (ctx.userPort === htons(DNS_PORT) && s.value.profile !== DIRECT) {
    const p = profiles.lookup(s.value.profile);
    if (p !== null && (p.value.flags & 1) !== 0) {
      s.value.origDns[0] = ctx.userIp4;
      s.value.origDnsPort = ctx.userPort;
      ctx.userIp4 = p.value.dns4;
    }
  }
  if (first) sockEvent(1, bpf.getSocketCookie(ctx), s.value);
  return CgroupVerdict.ALLOW;
}

/** IPv6 connect()/sendmsg(): the same; DNS the profile cannot rewrite is refused (no leak). */
function onAddr6(ctx: SockAddrContext): CgroupVerdict {
  const s = sockets.get(ctx);
  if (s === null) return CgroupVerdict.ALLOW;
  const first = s.value.dport === 0;
  s.value.dst[0] = ctx.userIp6[0];
  s.value.dst[1] = ctx.userIp6[1];
  s.value.dst[2] = ctx.userIp6[2];
  s.value.dst[3] = ctx.userIp6[3];
  s.value.dport = ctx.userPort;
  if (ctx.userPort === htons(DNS_PORT) && s.value.profile !== DIRECT) {
    const p = profiles.lookup(s.value.profile);
    if (p !== null) {
      if ((p.value.flags & 2) !== 0) {
        s.value.origDns[0] = ctx.userIp6[0];
        s.value.origDns[1] = ctx.userIp6[1];
        s.value.origDns[2] = ctx.userIp6[2];
        s.value.origDns[3] = ctx.userIp6[3];
        s.value.origDnsPort = ctx.userPort;
        ctx.userIp6[0] = p.value.dns6[0];
        ctx.userIp6[1] = p.value.dns6[1];
        ctx.userIp6[2] = p.value.dns6[2];
        ctx.userIp6[3] = p.value.dns6[3];
      } else if ((p.value.flags & 4) !== 0) {
        return CgroupVerdict.REJECT;
      }
    }
  }
  if (first) sockEvent(1, bpf.getSocketCookie(ctx), s.value);
  return CgroupVerdict.ALLOW;
}

export const connect4 = cgroupSockAddr('connect4', (ctx) => onAddr4(ctx));
export const sendmsg4 = cgroupSockAddr('sendmsg4', (ctx) => onAddr4(ctx));
export const connect6 = cgroupSockAddr('connect6', (ctx) => onAddr6(ctx));
export const sendmsg6 = cgroupSockAddr('sendmsg6', (ctx) => onAddr6(ctx));

/** A DNS answer from the profile's server reads as if it came from the server the app asked. */
export const recvmsg4 = cgroupSockAddr('recvmsg4', (ctx) => {
  const s = sockets.get(ctx);
  if (s === null || s.value.origDnsPort === 0) return CgroupVerdict.ALLOW;
  if (ctx.userPort === s.value.origDnsPort) ctx.userIp4 = s.value.origDns[0];
  return CgroupVerdict.ALLOW;
});

export const recvmsg6 = cgroupSockAddr('recvmsg6', (ctx) => {
  const s = sockets.get(ctx);
  if (s === null || s.value.origDnsPort === 0) return CgroupVerdict.ALLOW;
  if (ctx.userPort === s.value.origDnsPort) {
    ctx.userIp6[0] = s.value.origDns[0];
    ctx.userIp6[1] = s.value.origDns[1];
    ctx.userIp6[2] = s.value.origDns[2];
    ctx.userIp6[3] = s.value.origDns[3];
  }
  return CgroupVerdict.ALLOW;
});

/** Per-packet: real byte and packet counts of routed sockets. */
export const countEgress = cgroupSkb('egress', (ctx) => {
  // Locally sent packets carry their socket's mark: untracked traffic leaves at once.
  if ((ctx.mark & markMask.value) !== markBase.value) return CgroupVerdict.ALLOW;
  const s = sockets.get(ctx);
  if (s !== null) {
    atomicAdd(s.value.txBytes, u64(ctx.len));
    atomicAdd(s.value.txPackets, 1n);
  }
  return CgroupVerdict.ALLOW;
});

export const countIngress = cgroupSkb('ingress', (ctx) => {
  // The receiving socket's storage: a NULL test for the sockets Lockne does not track.
  const s = sockets.get(ctx);
  if (s !== null) {
    atomicAdd(s.value.rxBytes, u64(ctx.len));
    atomicAdd(s.value.rxPackets, 1n);
  }
  return CgroupVerdict.ALLOW;
});

/**
 * Every socket's record, for `lockne status` and `top`: reading this iterator (attached with
 * `sockets`, pinned by `up`) gives one SockInfo per socket that still has one, released ones
 * included until the kernel frees the socket. Userspace cannot walk socket-local storage
 * itself, and sock_diag reports it for TCP only.
 */
export const listSockets = iterSkStorage((ctx) => {
  const s = ctx.value(sockets);
  if (s !== null) ctx.seqWrite(SockInfo, s.value);
  return 0;
});

/** FNV-1a, 64-bit, over the NUL-terminated path (userspace hashes rule paths the same way). */
function hashPath(p: Infer<typeof ExePath>): u64 {
  let h: u64 = 0xcbf29ce484222325n;
  for (let i: u32 = 0; i < 256; i++) {
    const c = p.bytes[i];
    if (c === 0) break;
    h = (h ^ u64(c)) * 0x100000001b3n;
  }
  return h;
}

/** At exec: an exe rule routes the process (and, through fork, its children). */
export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const a = ctx.args(ExecArgs);
  const buf = scratch.lookup(0);
  if (buf === null) return 0;
  if (ctx.dataLocString(a.filenameLoc, buf.value.bytes) <= 0) return 0;
  const rule = exeRules.lookup(hashPath(buf.value));
  if (rule !== null) taskProfiles.update(u32(bpf.getCurrentPidTgid() >> 32n), rule.value);
  return 0;
});

/** At fork: a child inherits its parent's exe-rule profile. */
export const onFork = tracepoint('sched', 'sched_process_fork', (ctx) => {
  const parent = taskProfiles.lookup(u32(bpf.getCurrentPidTgid() >> 32n));
  if (parent === null) return 0;
  const a = ctx.args(ForkArgs);
  taskProfiles.update(u32(a.childPid), parent.value);
  return 0;
});

/** At exit: forget the task (a thread's own entry, or the process when its leader exits). */
export const onExit = tracepoint('sched', 'sched_process_exit', (ctx) => {
  const pidTgid = bpf.getCurrentPidTgid();
  const tid = u32(pidTgid & 0xffffffffn);
  taskProfiles.delete(tid);
  if (tid === u32(pidTgid >> 32n)) apps.delete(tid);
  return 0;
});
