// Inet sockets through NETLINK_SOCK_DIAG (include/uapi/linux/inet_diag.h,
// sock_diag.h): list TCP/UDP sockets with inode, uid and cookie, and destroy
// one by its exact identity (SOCK_DESTROY, needs CONFIG_INET_DIAG_DESTROY).
//
// Why: moving a running app into a profile only re-marks *new* sockets (the
// mark is set at sock_create). `lockne attach --reset` destroys the app's
// existing sockets so it reconnects, as Android does on a VPN change. The
// cookie sock_diag reports is the one eBPF sees (bpf_get_socket_cookie) and
// getsockopt(SO_COOKIE) returns.
//
// Socket-local storage: Lockne keeps its per-socket record in a
// BPF_MAP_TYPE_SK_STORAGE map, which user space cannot iterate (no
// get_next_key). sock_diag can return each socket's value instead: the request
// carries INET_DIAG_REQ_SK_BPF_STORAGES (map fds) and each reply
// INET_DIAG_SK_BPF_STORAGES (map id + value bytes), see `storages` below.
// The kernel fills them for TCP sockets only, not UDP.
import fs from 'node:fs';
import {
  ArgumentError, MapType, NetlinkError, NetlinkSocket, SyscallError, mapInfoByFd, netlink, netnsLabel, type NetnsRef,
} from '@lockne/bpf';
import { afOf, checkFamily, familyOfAf, formatIp, parseIp, type IpFamily } from './addr.js';
import {
  INET_DIAG_MSG_LEN, INET_DIAG_REQ_V2_LEN, INET_DIAG_SK_BPF_STORAGES, INET_DIAG_SOCKID_LEN, IPPROTO_TCP, IPPROTO_UDP,
  InetDiagReq, NETLINK_SOCK_DIAG, SK_DIAG_BPF_STORAGE, SK_DIAG_BPF_STORAGE_REQ_MAP_FD, SOCK_DESTROY, SOCK_DIAG_BY_FAMILY,
  SkDiagBpfStorage,
} from './consts.js';
import { checkInt } from './rtnl.js';

const { Attrs, NetlinkParseError, attr } = netlink;

export type InetProtocol = 'tcp' | 'udp';

/** Kernel socket states (TCP_* in include/net/tcp_states.h), as `ss` names them. */
export const SOCKET_STATES = [
  'unknown', 'established', 'syn-sent', 'syn-recv', 'fin-wait-1', 'fin-wait-2', 'time-wait', 'close',
  'close-wait', 'last-ack', 'listen', 'closing', 'new-syn-recv', 'bound-inactive',
] as const;
export type SocketState = (typeof SOCKET_STATES)[number];

/** What identifies one socket to SOCK_DESTROY: the 4-tuple, bound device and cookie. */
export interface SocketId {
  family: IpFamily;
  protocol: InetProtocol;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** Bound device (SO_BINDTODEVICE), 0 for none. */
  ifindex: number;
  /** The socket cookie (SO_COOKIE); must match for destroy. */
  cookie: bigint;
}

/** A socket as sock_diag reports it. */
export interface InetSocket extends SocketId {
  state: SocketState;
  /** Owner uid (sock_i_uid). */
  uid: number;
  /** The socket's inode (what /proc/PID/fd shows as socket:[inode]); 0 for time-wait/request socks. */
  inode: number;
  rqueue: number;
  wqueue: number;
  /**
   * Only when the list asked for `storages`: the socket's value in each of
   * those SK_STORAGE maps that has one, by map id (empty: none has). The
   * bytes are a copy, exactly the map's value_size long.
   */
  storages?: Map<number, Uint8Array>;
}

/**
 * An SK_STORAGE map whose per-socket values a listing returns: its fd, or
 * anything holding one (SkStorage, BpfMap, a map of a loaded object).
 */
export type StorageMapRef = number | { readonly fd: number };

/** Filter for SockDiag.list. */
export interface SocketFilter {
  family?: IpFamily;
  protocol?: InetProtocol;
  /** Only these states (default: all). */
  states?: readonly SocketState[];
  /**
   * Also return each socket's values in these BPF_MAP_TYPE_SK_STORAGE maps,
   * or in every SK_STORAGE map it has one in ('all'); every listed socket
   * then carries `storages`.
   *
   * What the kernel reports (net/ipv4/inet_diag.c inet_sk_diag_fill, checked
   * on 6.18): TCP sockets only. UDP sockets are listed but always with an
   * empty `storages` (udp_diag fills replies without an
   * inet_connection_sock and the storages are skipped then); time-wait and
   * request socks have none either (not full sockets), nor does a closed TCP
   * socket once it became time-wait/fin-wait-2. Needs CAP_BPF or
   * CAP_SYS_ADMIN (else NetlinkError EPERM). One reply must fit the 64 KiB
   * receive buffer: keep a socket's values well under that (else
   * NetlinkError ENOSPC).
   */
  storages?: readonly StorageMapRef[] | 'all';
  /** With `storages`: list only sockets that have a value in one of the maps. */
  onlyWithStorage?: boolean;
}

export interface SockDiagOptions {
  /** The network namespace whose sockets to see (name, path or { pid }); default: the caller's. */
  netns?: NetnsRef;
}

const PROTO_NUM: Record<InetProtocol, number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP };

/**
 * One-line description of a socket for messages: "tcp 10.0.0.2:41000 -> 10.0.0.1:80 cookie 4097".
 * @example describeSocket(s)
 */
export function describeSocket(s: SocketId): string {
  const ep = (a: string, p: number): string => (s.family === 6 ? `[${a}]:${p}` : `${a}:${p}`);
  return `${s.protocol}${s.family === 6 ? '6' : ''} ${ep(s.src, s.sport)} -> ${ep(s.dst, s.dport)} cookie ${s.cookie}`;
}

function encodeSockId(out: DataView, offset: number, id: SocketId | undefined, family: IpFamily): void {
  if (!id) {
    // Dumps ignore the id; "no cookie" keeps the intent obvious.
    out.setUint32(offset + 40, 0xffffffff, true);
    out.setUint32(offset + 44, 0xffffffff, true);
    return;
  }
  checkInt(id.sport, 0, 0xffff, 'socket sport');
  checkInt(id.dport, 0, 0xffff, 'socket dport');
  out.setUint16(offset, id.sport, false);
  out.setUint16(offset + 2, id.dport, false);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  for (const [text, at] of [[id.src, 4], [id.dst, 20]] as const) {
    const a = parseIp(text);
    if (a.family !== family) throw new ArgumentError(`socket ${describeSocket(id)}: address ${text} is not IPv${family}`);
    bytes.set(a.bytes, offset + at);
  }
  out.setUint32(offset + 36, checkInt(id.ifindex, 0, 0xffffffff, 'socket ifindex'), true);
  if (typeof id.cookie !== 'bigint' || id.cookie < 0n || id.cookie > 0xffffffffffffffffn) throw new ArgumentError(`socket cookie must be a u64 bigint, got ${String(id.cookie)}`);
  out.setUint32(offset + 40, Number(id.cookie & 0xffffffffn), true);
  out.setUint32(offset + 44, Number(id.cookie >> 32n), true);
}

/** What `storages` resolved to: the request attribute and how to name the maps in messages. */
interface StorageRequest {
  attr: netlink.NlAttr;
  label: string;
}

/**
 * Check `storages` (every fd must be an open SK_STORAGE map) and build the
 * INET_DIAG_REQ_SK_BPF_STORAGES attribute. The same map twice (two fds of
 * one map) is asked for once: the kernel would refuse it with EEXIST.
 */
function storageRequest(storages: readonly StorageMapRef[] | 'all', what: string): StorageRequest {
  if (storages === 'all') return { attr: attr.nested(InetDiagReq.SK_BPF_STORAGES, []), label: 'all their BPF storages' };
  if (!Array.isArray(storages)) throw new ArgumentError(`${what}: storages must be a list of SK_STORAGE map fds or 'all', got ${String(storages)}`);
  if (storages.length === 0) throw new ArgumentError(`${what}: storages is an empty list (give map fds, or 'all' for every SK_STORAGE map)`);
  const fds: number[] = [];
  const ids: (number | undefined)[] = [];
  storages.forEach((ref, i) => {
    const fd = typeof ref === 'number' ? ref : (ref as { fd?: unknown } | null)?.fd;
    if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
      throw new ArgumentError(`${what}: storages[${i}] must be a map fd (non-negative integer) or have one in .fd, got ${typeof ref === 'object' && ref !== null ? `{ fd: ${String(fd)} }` : String(ref)}`);
    }
    const id = storageMapId(fd, `${what}: storage map fd ${fd}`);
    if (id === undefined || !ids.includes(id)) {
      fds.push(fd);
      ids.push(id);
    }
  });
  const names = fds.map((fd, i) => `fd ${fd}${ids[i] === undefined ? '' : ` (id ${ids[i]})`}`);
  return {
    attr: attr.nested(InetDiagReq.SK_BPF_STORAGES, fds.map((fd) => attr.u32(SK_DIAG_BPF_STORAGE_REQ_MAP_FD, fd))),
    label: `their BPF storage in map ${names.join(', ')}`,
  };
}

/**
 * The id of the SK_STORAGE map open as `fd`; ArgumentError (starting with
 * `what`) for anything else. undefined when we may not ask (no CAP_BPF): the
 * kernel then refuses the listing itself with EPERM, which says more.
 */
function storageMapId(fd: number, what: string): number | undefined {
  // The link target tells a map from a program or BTF fd (whose info would also decode).
  let target: string;
  try {
    target = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    throw new ArgumentError(`${what} is not open`);
  }
  if (target !== 'anon_inode:bpf-map') throw new ArgumentError(`${what} is not a BPF map (it is ${target})`);
  let info: ReturnType<typeof mapInfoByFd>;
  try {
    info = mapInfoByFd(fd);
  } catch (e) {
    if (e instanceof SyscallError && e.code === 'EPERM') return undefined;
    throw e;
  }
  if (info.type !== MapType.SK_STORAGE) {
    throw new ArgumentError(`${what} is a ${info.typeName} map (${info.name ? `'${info.name}', ` : ''}id ${info.id}), not SK_STORAGE`);
  }
  return info.id;
}

/**
 * The BPF storages in one SOCK_DIAG_BY_FAMILY reply (the attributes after
 * inet_diag_msg): map id -> value bytes (copied). Empty when the socket has none.
 * @example decodeSocketStorages(msg.payload).get(map.id)
 */
export function decodeSocketStorages(payload: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (payload.byteLength <= INET_DIAG_MSG_LEN) return out;
  const nest = Attrs.parse(payload.subarray(INET_DIAG_MSG_LEN)).get(INET_DIAG_SK_BPF_STORAGES);
  if (!nest) return out;
  for (const one of Attrs.parse(nest).all(SK_DIAG_BPF_STORAGE)) {
    const a = Attrs.parse(one);
    const id = a.u32(SkDiagBpfStorage.MAP_ID);
    const value = a.get(SkDiagBpfStorage.MAP_VALUE);
    if (id === undefined || value === undefined) {
      throw new NetlinkParseError(`SK_DIAG_BPF_STORAGE without ${id === undefined ? 'SK_DIAG_BPF_STORAGE_MAP_ID' : `SK_DIAG_BPF_STORAGE_MAP_VALUE (map id ${id})`}`);
    }
    out.set(id, value.slice());
  }
  return out;
}

function encodeReq(family: IpFamily, protocol: InetProtocol, states: number, id?: SocketId): Uint8Array {
  const b = new Uint8Array(INET_DIAG_REQ_V2_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, afOf(family));
  v.setUint8(1, PROTO_NUM[protocol]);
  v.setUint32(4, states >>> 0, true);
  encodeSockId(v, 8, id, family);
  return b;
}

/**
 * Decode one inet_diag_msg (a SOCK_DIAG_BY_FAMILY dump reply); undefined for a family other than v4/v6.
 * @example decodeInetDiagMsg(msg.payload, 'tcp')?.cookie
 */
export function decodeInetDiagMsg(payload: Uint8Array, protocol: InetProtocol): InetSocket | undefined {
  if (payload.byteLength < INET_DIAG_MSG_LEN) throw new ArgumentError(`inet_diag_msg: ${payload.byteLength} bytes, expected ${INET_DIAG_MSG_LEN}`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const family = familyOfAf(v.getUint8(0));
  if (!family) return undefined;
  const len = family === 4 ? 4 : 16;
  const id = 4;
  const after = id + INET_DIAG_SOCKID_LEN;
  const stateCode = v.getUint8(1);
  return {
    family,
    protocol,
    state: SOCKET_STATES[stateCode] ?? 'unknown',
    sport: v.getUint16(id, false),
    dport: v.getUint16(id + 2, false),
    src: formatIp(payload.slice(id + 4, id + 4 + len)),
    dst: formatIp(payload.slice(id + 20, id + 20 + len)),
    ifindex: v.getUint32(id + 36, true),
    cookie: BigInt(v.getUint32(id + 40, true)) | (BigInt(v.getUint32(id + 44, true)) << 32n),
    rqueue: v.getUint32(after + 4, true),
    wqueue: v.getUint32(after + 8, true),
    uid: v.getUint32(after + 12, true),
    inode: v.getUint32(after + 16, true),
  };
}

function statesMask(states: readonly SocketState[] | undefined): number {
  if (!states) return 0xffffffff;
  let mask = 0;
  for (const s of states) {
    const i = SOCKET_STATES.indexOf(s);
    if (i < 0) throw new ArgumentError(`socket state '${String(s)}' is not one of ${SOCKET_STATES.join(', ')}`);
    mask |= 1 << i;
  }
  return mask >>> 0;
}

/**
 * A NETLINK_SOCK_DIAG socket in one network namespace. Its own class (not a
 * bare NetlinkSocket) so its requests can never go to rtnetlink, where
 * types 20/21 mean RTM_NEWADDR/RTM_DELADDR.
 *
 * @example
 * const diag = SockDiag.open({ netns: 'lkc' });
 * try {
 *   for (const s of diag.list({ protocol: 'tcp', states: ['established'] })) diag.destroy(s);
 * } finally { diag.close(); }
 */
export class SockDiag {
  readonly #nl: NetlinkSocket;
  readonly netns: NetnsRef | undefined;

  private constructor(nl: NetlinkSocket, netns: NetnsRef | undefined) {
    this.#nl = nl;
    this.netns = netns;
  }

  /** Open a sock_diag socket in `opts.netns` (default: here). @example SockDiag.open({ netns: { pid } }) */
  static open(opts: SockDiagOptions = {}): SockDiag {
    const o: { protocol: number; netns?: NetnsRef } = { protocol: NETLINK_SOCK_DIAG };
    if (opts.netns !== undefined) o.netns = opts.netns;
    return new SockDiag(NetlinkSocket.open(o), opts.netns);
  }

  get closed(): boolean {
    return this.#nl.closed;
  }

  close(): void {
    this.#nl.close();
  }

  #where(): string {
    return this.netns === undefined ? '' : ` in netns ${netnsLabel(this.netns)}`;
  }

  /**
   * TCP and UDP sockets, IPv4 and IPv6 (or as filtered). IPv6 sockets with
   * v4-mapped peers are listed under family 6. With `storages`, each socket
   * also carries its values in those SK_STORAGE maps.
   * @example
   * diag.list({ protocol: 'tcp', states: ['listen'] }).map((s) => s.sport)
   * diag.list({ storages: [sockets], onlyWithStorage: true }).map((s) => s.storages!.get(socketsId))
   */
  list(filter: SocketFilter = {}): InetSocket[] {
    const families: IpFamily[] = filter.family === undefined ? [4, 6] : [checkFamily(filter.family, 'list sockets')];
    if (filter.protocol !== undefined && !(filter.protocol in PROTO_NUM)) throw new ArgumentError(`list sockets: protocol must be 'tcp' or 'udp', got '${String(filter.protocol)}'`);
    const protocols: InetProtocol[] = filter.protocol ? [filter.protocol] : ['tcp', 'udp'];
    const states = statesMask(filter.states);
    if (filter.onlyWithStorage && filter.storages === undefined) throw new ArgumentError('list sockets: onlyWithStorage needs storages (the SK_STORAGE maps to look in)');
    const stg = filter.storages === undefined ? undefined : storageRequest(filter.storages, 'list sockets');
    const attrs = stg ? [stg.attr] : [];
    const withMaps = stg ? ` with ${stg.label}` : '';
    const out: InetSocket[] = [];
    for (const protocol of protocols) {
      for (const family of families) {
        const purpose = `list ${protocol} IPv${family} sockets${withMaps}${this.#where()}`;
        const msgs = call(purpose, () => this.#nl.dump({ type: SOCK_DIAG_BY_FAMILY, flags: 0, header: encodeReq(family, protocol, states), attrs }, purpose));
        for (const m of msgs) {
          if (m.type !== SOCK_DIAG_BY_FAMILY) continue;
          let storages: Map<number, Uint8Array> | undefined;
          if (stg) {
            storages = decodeSocketStorages(m.payload);
            // Drop before decoding the rest: most sockets of a busy host have no value.
            if (filter.onlyWithStorage && storages.size === 0) continue;
          }
          const s = decodeInetDiagMsg(m.payload, protocol);
          if (!s || s.family !== family) continue;
          if (storages) s.storages = storages;
          out.push(s);
        }
      }
    }
    return out;
  }

  /**
   * The sockets that have a value in one SK_STORAGE map, with that value
   * (IPv4 and IPv6, or as filtered; TCP only, see SocketFilter.storages): a
   * way to read a map user space cannot iterate.
   * @example diag.listStorage(sockets).map(({ socket, value }) => [socket.cookie, value.byteLength])
   */
  listStorage(map: StorageMapRef, filter: Omit<SocketFilter, 'storages' | 'onlyWithStorage'> = {}): SocketStorage[] {
    return this.list({ ...filter, storages: [map], onlyWithStorage: true }).map((socket) => {
      // One map asked for and only sockets with a value kept: exactly one entry.
      const value = socket.storages!.values().next().value!;
      return { socket, value };
    });
  }

  /**
   * Destroy the socket with exactly this identity (cookie included): its
   * owner's next call fails with ECONNABORTED, and a TCP peer gets a reset.
   * A UDP socket is disconnected; if its owner bound an explicit port it
   * keeps that port. Throws NetlinkError 'ENOENT' when no such socket
   * exists (any more) or the cookie does not match.
   * @example diag.destroy(diag.list().find((s) => s.cookie === cookie)!)
   */
  destroy(id: SocketId): void {
    checkFamily(id.family, 'destroy socket');
    if (!(id.protocol in PROTO_NUM)) throw new ArgumentError(`destroy socket: protocol must be 'tcp' or 'udp', got '${String(id.protocol)}'`);
    const header = encodeReq(id.family, id.protocol, 0xffffffff, id);
    const purpose = `destroy socket ${describeSocket(id)}${this.#where()}`;
    call(purpose, () => this.#nl.request({ type: SOCK_DESTROY, flags: 0, header }, purpose));
  }
}

function call<T>(purpose: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NetlinkError) {
      const op = purpose.startsWith('destroy') ? 'SOCK_DESTROY' : 'SOCK_DIAG_BY_FAMILY';
      throw new NetlinkError(op, e.errno, purpose, e.extack);
    }
    throw e;
  }
}

/**
 * List sockets with a one-shot sock_diag socket.
 * @example listInetSockets({ netns: 'lkc', protocol: 'tcp', states: ['listen'] })
 */
export function listInetSockets(opts: SocketFilter & SockDiagOptions = {}): InetSocket[] {
  const diag = SockDiag.open(opts);
  try {
    return diag.list(opts);
  } finally {
    diag.close();
  }
}

/** One socket and its value in the map listSocketStorage read. */
export interface SocketStorage {
  socket: InetSocket;
  /** The value bytes (a copy, the map's value_size long). */
  value: Uint8Array;
}

/**
 * Every socket (IPv4 and IPv6, or as filtered) with a value in the
 * SK_STORAGE map `map`, with that value, through a one-shot sock_diag socket
 * in `opts.netns`. Decode the bytes with the map's value codec. The kernel
 * reports storage for TCP sockets only (see SocketFilter.storages): pass
 * `protocol: 'tcp'` to skip the UDP dumps that cannot contribute.
 * @example
 * const map = SkStorage.create({ value: bytes(16) });
 * map.set(sockFd, record);
 * listSocketStorage(map, { netns: 'lkc' }); // [{ socket: { cookie, dport, ... }, value: <16 bytes> }]
 */
export function listSocketStorage(map: StorageMapRef, opts: Omit<SocketFilter, 'storages' | 'onlyWithStorage'> & SockDiagOptions = {}): SocketStorage[] {
  const diag = SockDiag.open(opts);
  try {
    return diag.listStorage(map, opts);
  } finally {
    diag.close();
  }
}

/**
 * Destroy one socket with a one-shot sock_diag socket.
 * @example destroySocket(listInetSockets({ netns: 'lkc' }).find((s) => s.dport === 443)!, { netns: 'lkc' })
 */
export function destroySocket(id: SocketId, opts: SockDiagOptions = {}): void {
  const diag = SockDiag.open(opts);
  try {
    diag.destroy(id);
  } finally {
    diag.close();
  }
}

/**
 * Inodes of the sockets process `pid` has open (its /proc/PID/fd entries
 * "socket:[N]"). Any socket family: match against sock_diag's `inode`.
 * Threads share the fd table except after unshare(CLONE_FILES), which is rare.
 * @example socketInodesOfPid(process.pid).has(fs.fstatSync(fd).ino)
 */
export function socketInodesOfPid(pid: number): Set<number> {
  checkInt(pid, 1, 0x3fffffff, 'pid');
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch (e) {
    const errno = Math.abs((e as NodeJS.ErrnoException).errno ?? 0);
    throw new SyscallError('opendir', errno, errno === 2 ? `${dir}: no process ${pid}` : dir);
  }
  const out = new Set<number>();
  for (const fd of fds) {
    let target: string;
    try {
      target = fs.readlinkSync(`${dir}/${fd}`);
    } catch {
      continue; // closed between readdir and readlink
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) out.add(Number(m[1]));
  }
  return out;
}

export interface DestroyOfPidOptions {
  /** Where the sockets live; default the process's own namespace ({ pid }). */
  netns?: NetnsRef;
  /** Also destroy listening TCP sockets (default false: servers would stop accepting). */
  includeListening?: boolean;
  /** Default both. */
  protocols?: readonly InetProtocol[];
}

/**
 * Destroy the TCP/UDP sockets process `pid` holds (`lockne attach --reset`),
 * so it reconnects and its new sockets get the new mark. Returns the
 * sockets destroyed; ones closed meanwhile are skipped.
 * @example destroySocketsOfPid(child.pid).length // 2: its TCP connection and its UDP socket
 */
export function destroySocketsOfPid(pid: number, opts: DestroyOfPidOptions = {}): InetSocket[] {
  const inodes = socketInodesOfPid(pid);
  if (inodes.size === 0) return [];
  const diag = SockDiag.open({ netns: opts.netns ?? { pid } });
  try {
    const done: InetSocket[] = [];
    for (const protocol of opts.protocols ?? ['tcp', 'udp'] as const) {
      for (const s of diag.list({ protocol })) {
        if (!s.inode || !inodes.has(s.inode)) continue;
        if (s.state === 'listen' && !opts.includeListening) continue;
        try {
          diag.destroy(s);
          done.push(s);
        } catch (e) {
          if (!(e instanceof NetlinkError && e.code === 'ENOENT')) throw e;
        }
      }
    }
    return done;
  } finally {
    diag.close();
  }
}
