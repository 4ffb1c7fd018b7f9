// Container guard (lockc-like): cgroup hooks that apply to every process in a
// cgroup (a container). connect4 refuses IPv4 connects to a denied port or a
// denied address (EPERM in the caller); sock_create refuses raw sockets.
import { cgroupSockAddr, cgroupSock, CgroupVerdict, AddressFamily, HashMap, ArrayMap, atomicAdd, ntohl, ntohs, u8, u32, u64 } from '@lockne/kernel';

/** Denied destination ports (host order) → 1. */
export const deniedPorts = new HashMap<u32, u8>({ maxEntries: 1024 });
/** Denied destination IPv4 addresses (host order, 10.0.0.2 = 0x0a000002) → 1. */
export const deniedAddrs = new HashMap<u32, u8>({ maxEntries: 1024 });
/** 0: connects refused, 1: raw sockets refused. */
export const denials = new ArrayMap<u64>({ maxEntries: 2 });

export const guardConnect = cgroupSockAddr('connect4', (ctx) => {
  if (ctx.userFamily !== AddressFamily.INET) return CgroupVerdict.ALLOW;
  const port = u32(ntohs(ctx.userPort));
  const addr = ntohl(ctx.userIp4);
  if (deniedPorts.lookup(port) !== null || deniedAddrs.lookup(addr) !== null) {
    const n = denials.lookup(0);
    if (n !== null) atomicAdd(n, 1n);
    return CgroupVerdict.REJECT;
  }
  return CgroupVerdict.ALLOW;
});

export const guardSocket = cgroupSock('sock_create', (ctx) => {
  const SOCK_RAW = 3;   // module-level constants are not supported yet
  if (ctx.type === SOCK_RAW) {
    const n = denials.lookup(1);
    if (n !== null) atomicAdd(n, 1n);
    return CgroupVerdict.REJECT;
  }
  return CgroupVerdict.ALLOW;
});
