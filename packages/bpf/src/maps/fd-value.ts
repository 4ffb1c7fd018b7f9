// Codecs for maps whose values are file descriptors on the way in and
// something else on the way out (an id, a socket cookie), and for fd keys.
import type { Codec } from './codec.js';
import { CodecError } from './codec-error.js';
import type { FdLike } from './map.js';

function fdNumber(v: FdLike, what: string): number {
  const fd = typeof v === 'number' ? v : v?.fd;
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) throw new CodecError(`${what}: expected a file descriptor (or an object with .fd), got ${String(v)}`);
  return fd;
}

/**
 * A u32 fd written into the map; reads come back as a u32 (a program or map
 * id for prog/map-in-map arrays).
 */
export function fdIn32(what: string): Codec<FdLike> {
  return {
    size: 4,
    align: 4,
    encode(v, out) {
      new DataView(out.buffer, out.byteOffset, 4).setUint32(0, fdNumber(v, what), true);
    },
    decode: (b) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true),
  };
}

/** A socket fd written as u64; reads come back as the socket cookie (u64 bigint). */
export function fdIn64(what: string): Codec<FdLike | bigint> {
  return {
    size: 8,
    align: 8,
    encode(v, out) {
      // A bigint is accepted so that a value read back (V) type-checks when written; it must still be an fd.
      const fd = fdNumber(typeof v === 'bigint' && v <= 0x7fffffffn ? Number(v) : (v as FdLike), what);
      new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, BigInt(fd), true);
    },
    decode: (b) => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true),
  };
}

/** An int fd as the key (local storage maps: socket, pidfd, cgroup or file fd). */
export function fdKey(what: string): Codec<FdLike> {
  return {
    size: 4,
    align: 4,
    shape: { kind: 'int', name: 'int', size: 4, signed: true },
    encode(v, out) {
      new DataView(out.buffer, out.byteOffset, 4).setInt32(0, fdNumber(v, what), true);
    },
    decode: (b) => new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true),
  };
}
