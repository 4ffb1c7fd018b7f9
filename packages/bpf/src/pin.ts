// Pinning: give a map, program or link a path in bpffs so it outlives the fds
// that hold it (BPF_OBJ_PIN), and open it again from that path (BPF_OBJ_GET).
// Minimum kernel: 4.4 for maps and programs, 5.7 for links (bpf_link pinning).
import fs from 'node:fs';
import path from 'node:path';
import { native } from './sys/native.js';
import { bpfRaw } from './sys/syscall.js';
import { encode } from './sys/layout.js';
import { ObjPinAttr } from './sys/attrs.js';
import { Errno } from './sys/errno.js';
import { MapFlags } from './sys/consts.js';
import { ArgumentError, SyscallError } from './errors.js';
import { BpfMap } from './maps/map.js';
import { Program } from './programs/program.js';
import { Link } from './links/link.js';
import type { Codec } from './maps/codec.js';

/** statfs f_type of a bpf filesystem. */
export const BPF_FS_MAGIC = 0xcafe4a11;

/** Something that holds a bpf object fd: a BpfMap, Program, Link, FdHandle, or a raw fd. */
export type FdLike = number | { readonly fd: number };

/** What a pinned path holds, opened as its typed object. close() releases our fd only. */
export type PinnedObject =
  | { readonly kind: 'map'; readonly map: BpfMap; readonly fd: number; close(): void }
  | { readonly kind: 'program'; readonly program: Program; readonly fd: number; close(): void }
  | { readonly kind: 'link'; readonly link: Link; readonly fd: number; close(): void };

export type PinnedKind = PinnedObject['kind'];

export interface OpenPinnedOptions {
  /** BPF_F_RDONLY: the fd may only read (maps). */
  readOnly?: boolean;
  /** BPF_F_WRONLY: the fd may only write (maps). */
  writeOnly?: boolean;
}

function pathBytes(p: string): Uint8Array {
  if (p.length === 0 || p.includes('\0')) throw new ArgumentError(`pin path '${p}': must be non-empty without NUL`);
  return new TextEncoder().encode(`${p}\0`);
}

/**
 * Is `dir` on a bpf filesystem? Mount one there when it is not (root only).
 * Returns true when this call mounted it. The directory is created if missing.
 * @example ensureBpffs(); pin(map, '/sys/fs/bpf/lk_counts');
 */
export function ensureBpffs(dir = '/sys/fs/bpf'): boolean {
  let magic = native.statfsType(dir);
  if (magic === -Errno.ENOENT) {
    fs.mkdirSync(dir, { recursive: true });
    magic = native.statfsType(dir);
  }
  if (magic < 0) throw new SyscallError('statfs', -magic, `bpffs path '${dir}'`);
  if (magic === BPF_FS_MAGIC) return false;
  const ret = native.mount('bpf', dir, 'bpf', 0, null);
  if (ret < 0) throw new SyscallError('mount', -ret, `bpffs at '${dir}'`);
  return true;
}

/** True when `p` (a file or a directory) lives on a bpf filesystem. */
export function isOnBpffs(p: string): boolean {
  return native.statfsType(p) === BPF_FS_MAGIC;
}

/**
 * Pin a map, program or link at `path` (a new name inside a bpffs mount).
 * The object now lives until the pin is removed and every fd is closed.
 * @example pin(link, '/sys/fs/bpf/lk_ingress'); link.close(); // still attached
 */
export function pin(obj: FdLike, pinPath: string): void {
  const fd = typeof obj === 'number' ? obj : obj.fd;
  const { ret } = bpfRaw('OBJ_PIN', encode(ObjPinAttr, { pathname: pathBytes(pinPath), bpf_fd: fd }));
  if (ret < 0) throw new SyscallError('BPF_OBJ_PIN', -ret, `path '${pinPath}'`);
}

/**
 * Remove a pin. A pinned link detaches once no fd holds it any more; a map or
 * program is freed when nothing else references it. Refuses paths outside bpffs.
 */
export function unpin(pinPath: string): void {
  // Check the directory, so a missing pin reports unlink's ENOENT.
  const dir = path.dirname(pinPath);
  const magic = native.statfsType(dir);
  if (magic < 0) throw new SyscallError('statfs', -magic, `pin directory '${dir}'`);
  if (magic !== BPF_FS_MAGIC) throw new ArgumentError(`pin path '${pinPath}' is not on a bpf filesystem`);
  try {
    fs.unlinkSync(pinPath);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SyscallError('unlink', typeof err.errno === 'number' ? err.errno : Errno.EIO, `pin path '${pinPath}'`);
  }
}

/** BPF_OBJ_GET: a new fd for the object pinned at `path` (the caller owns it). */
export function openPinnedFd(pinPath: string, opts: OpenPinnedOptions = {}): number {
  const flags = (opts.readOnly ? MapFlags.RDONLY : 0) | (opts.writeOnly ? MapFlags.WRONLY : 0);
  const { ret } = bpfRaw('OBJ_GET', encode(ObjPinAttr, { pathname: pathBytes(pinPath), file_flags: flags }));
  if (ret < 0) throw new SyscallError('BPF_OBJ_GET', -ret, `path '${pinPath}'`);
  return ret;
}

/**
 * What kind of bpf object an fd is. bpf fds are anon inodes; the kernel names
 * them "bpf-map", "bpf-prog", "btf", and "bpf_link" or "bpf-link" (a link
 * created by LINK_CREATE vs. reopened by OBJ_GET). Failing that, fdinfo names
 * the type field ("map_type:", "prog_type:", "link_type:").
 */
export function fdKind(fd: number): PinnedKind | 'btf' | 'unknown' {
  let target = '';
  try {
    target = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return 'unknown';
  }
  switch (target) {
    case 'anon_inode:bpf-map': return 'map';
    case 'anon_inode:bpf-prog': return 'program';
    case 'anon_inode:bpf_link': case 'anon_inode:bpf-link': return 'link';
    case 'anon_inode:btf': return 'btf';
  }
  let info = '';
  try {
    info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return 'unknown';
  }
  if (/^map_type:/m.test(info)) return 'map';
  if (/^prog_type:/m.test(info)) return 'program';
  if (/^link_type:/m.test(info)) return 'link';
  if (/^btf_id:/m.test(info)) return 'btf';
  return 'unknown';
}

/**
 * Open whatever is pinned at `path` as a typed object.
 * @example
 * const p = openPinned('/sys/fs/bpf/lk_counts');
 * if (p.kind === 'map') console.log([...p.map.keys()]);
 * p.close();
 */
export function openPinned(pinPath: string, opts: OpenPinnedOptions = {}): PinnedObject {
  const fd = openPinnedFd(pinPath, opts);
  try {
    const kind = fdKind(fd);
    switch (kind) {
      case 'map': { const map = BpfMap.fromFd(fd); return { kind, map, fd, close: () => map.close() }; }
      case 'program': { const program = Program.fromFd(fd); return { kind, program, fd, close: () => program.close() }; }
      case 'link': { const link = Link.fromFd(fd); return { kind, link, fd, close: () => link.close() }; }
      default: throw new ArgumentError(`pin path '${pinPath}' holds a ${kind} object, not a map, program or link`);
    }
  } catch (e) {
    native.close(fd);
    throw e;
  }
}

function openAs<K extends PinnedKind>(pinPath: string, want: K, opts: OpenPinnedOptions): number {
  const fd = openPinnedFd(pinPath, opts);
  const kind = fdKind(fd);
  if (kind !== want) {
    native.close(fd);
    throw new ArgumentError(`pin path '${pinPath}' holds a ${kind}, not a ${want}`);
  }
  return fd;
}

/** Open a pinned map, optionally with codecs. @example openPinnedMap('/sys/fs/bpf/lk_counts', { key: u32, value: u64 }) */
export function openPinnedMap<K = Uint8Array, V = Uint8Array>(
  pinPath: string, codecs: { key?: Codec<K>; value?: Codec<V> } = {}, opts: OpenPinnedOptions = {},
): BpfMap<K, V> {
  const fd = openAs(pinPath, 'map', opts);
  try {
    return BpfMap.fromFd<K, V>(fd, codecs);
  } catch (e) {
    native.close(fd);
    throw e;
  }
}

/** Open a pinned program. */
export function openPinnedProgram(pinPath: string): Program {
  const fd = openAs(pinPath, 'program', {});
  try {
    return Program.fromFd(fd);
  } catch (e) {
    native.close(fd);
    throw e;
  }
}

/** Open a pinned link. Closing the returned Link does not detach while the pin exists. */
export function openPinnedLink(pinPath: string): Link {
  const fd = openAs(pinPath, 'link', {});
  try {
    return Link.fromFd(fd);
  } catch (e) {
    native.close(fd);
    throw e;
  }
}

