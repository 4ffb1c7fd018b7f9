// The network namespace Lockne routes in: policy routing is per namespace, so
// sock_create only marks sockets created in the namespace `up` ran in
// (compared by netns cookie, the id the kernel gives eBPF programs).
import fs from 'node:fs';
import { native, SyscallError } from '@lockne/bpf';

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_NETNS_COOKIE = 71;

/** Cookie of the current thread's network namespace (getsockopt SO_NETNS_COOKIE, kernel 5.14). */
export function currentNetnsCookie(): bigint {
  const fd = native.socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw new SyscallError('socket', -fd, 'AF_INET datagram socket for SO_NETNS_COOKIE');
  try {
    const out = new Uint8Array(8);
    const r = native.getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, out);
    if (r < 0) throw new SyscallError('getsockopt', -r, 'SO_NETNS_COOKIE');
    return new DataView(out.buffer).getBigUint64(0, true);
  } finally {
    native.close(fd);
  }
}

/** Inode of the current network namespace (what `ip netns identify` compares). */
export function currentNetnsInode(): number {
  return fs.statSync('/proc/self/ns/net').ino;
}
