// Container guard (lockc-like): cgroup hooks that apply to every process in a
// cgroup (a container). connect4 refuses IPv4 connects to a denied port or a
// denied address, bind4/bind6 refuse binding a denied port, sock_create
// refuses raw sockets, sysctl refuses writes under /proc/sys/net/ (reads pass),
// and the device hook refuses mknod and denied major:minor pairs (/dev/mem,
// 1:1, by default). Every refusal is EPERM in the caller and is counted.
import {
  cgroupSockAddr, cgroupSock, cgroupSysctl, cgroupDevice, CgroupVerdict, AddressFamily, DeviceAccess,
  HashMap, ArrayMap, atomicAdd, struct, array, ntohl, ntohs, u8, u32, u64, type Infer, type FixedArray,
} from '@lockne/kernel';

/** Denied destination (connect) and local (bind) ports, host order → 1. */
export const deniedPorts = new HashMap<u32, u8>({ maxEntries: 1024 });
/** Denied destination IPv4 addresses (host order, 10.0.0.2 = 0x0a000002) → 1. */
export const deniedAddrs = new HashMap<u32, u8>({ maxEntries: 1024 });
/** Denied devices, (major << 32) | minor → 1 (char and block alike). */
export const deniedDevices = new HashMap<u64, u8>({ maxEntries: 256 });
/** Refusals: 0 connects, 1 raw sockets, 2 binds, 3 sysctl writes, 4 device accesses. */
export const denials = new ArrayMap<u64>({ maxEntries: 5 });

const SOCK_RAW = 3;
const CONNECTS = 0;
const RAW_SOCKETS = 1;
const BINDS = 2;
const SYSCTL_WRITES = 3;
const DEVICES = 4;

function refuse(slot: u32): CgroupVerdict {
  const n = denials.lookup(slot);
  if (n !== null) atomicAdd(n, 1n);
  return CgroupVerdict.REJECT;
}

export const guardConnect = cgroupSockAddr('connect4', (ctx) => {
  if (ctx.userFamily !== AddressFamily.INET) return CgroupVerdict.ALLOW;
  const port = u32(ntohs(ctx.userPort));
  const addr = ntohl(ctx.userIp4);
  if (deniedPorts.lookup(port) !== null || deniedAddrs.lookup(addr) !== null) return refuse(CONNECTS);
  return CgroupVerdict.ALLOW;
});

export const guardBind4 = cgroupSockAddr('bind4', (ctx) =>
  deniedPorts.lookup(u32(ntohs(ctx.userPort))) !== null ? refuse(BINDS) : CgroupVerdict.ALLOW);

export const guardBind6 = cgroupSockAddr('bind6', (ctx) =>
  deniedPorts.lookup(u32(ntohs(ctx.userPort))) !== null ? refuse(BINDS) : CgroupVerdict.ALLOW);

export const guardSocket = cgroupSock('sock_create', (ctx) =>
  ctx.type === SOCK_RAW ? refuse(RAW_SOCKETS) : CgroupVerdict.ALLOW);

/** The first bytes of a sysctl's name ("net/ipv4/ip_forward" arrives as "net/ipv"). */
export const NamePrefix = struct('name_prefix', { bytes: array(u8, 8) });

export const guardSysctl = cgroupSysctl((ctx) => {
  if (ctx.write === 0) return CgroupVerdict.ALLOW;
  const name: Infer<typeof NamePrefix> = { bytes: [0, 0, 0, 0, 0, 0, 0, 0] as FixedArray<u8, 8> };
  ctx.getName(name.bytes); // -E2BIG when longer: the truncated prefix is still there
  // "net/" = 6e 65 74 2f
  if (name.bytes[0] === 0x6e && name.bytes[1] === 0x65 && name.bytes[2] === 0x74 && name.bytes[3] === 0x2f) return refuse(SYSCTL_WRITES);
  return CgroupVerdict.ALLOW;
});

export const guardDevices = cgroupDevice((ctx) => {
  if (((ctx.accessType >> 16) & DeviceAccess.MKNOD) !== 0) return refuse(DEVICES);
  if (deniedDevices.lookup((u64(ctx.major) << 32n) | u64(ctx.minor)) !== null) return refuse(DEVICES);
  return CgroupVerdict.ALLOW;
});
