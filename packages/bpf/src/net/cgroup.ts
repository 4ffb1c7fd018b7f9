// cgroup v2: find the mount, create/remove groups, move processes in.
// Minimum kernel: 4.5 (cgroup v2); eBPF cgroup hooks need 4.10+.
//
// The cgroup2 mount point differs between systems (/sys/fs/cgroup on unified
// hosts, /sys/fs/cgroup/unified on hybrid ones), so it is read from
// /proc/self/mountinfo, never assumed.
//
// @example
// const cg = createCgroup('lk1234demo');          // /sys/fs/cgroup[/unified]/lk1234demo
// enterCgroup(cg, child.pid);
// ...
// removeCgroup(cg);
import fs from 'node:fs';
import path from 'node:path';
import { ArgumentError, NotSupportedError } from '../errors.js';
import { fsError } from './fs-error.js';

let cachedRoot: string | undefined;

/** Unescape a mountinfo path field (spaces etc. are written as \040). */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Mount points of cgroup2 in `mountinfo` text (pure; see cgroup2Root).
 * Format: "id parent maj:min root mountpoint opts [optional...] - fstype source superopts".
 */
export function parseCgroup2Mounts(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    const root = line.slice(0, sep).split(' ')[3];
    const mountPoint = line.slice(0, sep).split(' ')[4];
    // A bind mount of a subtree (root != "/") is not the hierarchy's root.
    if (fstype === 'cgroup2' && mountPoint && root === '/') out.push(unescapeMountPath(mountPoint));
  }
  return out;
}

/** The cgroup2 mount point; throws NotSupportedError when there is none. */
export function cgroup2Root(): string {
  if (cachedRoot) return cachedRoot;
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch (e) {
    throw fsError('open', e, '/proc/self/mountinfo');
  }
  const mounts = parseCgroup2Mounts(text);
  if (!mounts[0]) throw new NotSupportedError('no cgroup2 filesystem in /proc/self/mountinfo (mount -t cgroup2 none /sys/fs/cgroup)');
  cachedRoot = mounts[0];
  return cachedRoot;
}

/** Absolute path of a cgroup given relative to the cgroup2 root ('' is the root). */
export function cgroupPath(relative: string): string {
  if (relative.startsWith('/') && isUnder(relative, cgroup2Root())) return relative;
  const parts = relative.split('/').filter(Boolean);
  if (parts.some((p) => p === '..' || p === '.')) throw new ArgumentError(`cgroup path '${relative}': '.' and '..' are not allowed`);
  return path.join(cgroup2Root(), ...parts);
}

function isUnder(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Create a cgroup (relative to the cgroup2 root, or an absolute path under it)
 * and return its absolute path. Throws SyscallError('mkdir', EEXIST) if it exists.
 */
export function createCgroup(relative: string): string {
  const p = cgroupPath(relative);
  try {
    fs.mkdirSync(p);
  } catch (e) {
    throw fsError('mkdir', e, `cgroup ${p}`);
  }
  return p;
}

/**
 * Remove a cgroup and its child cgroups. Processes still inside are moved to
 * the parent first (rmdir refuses a populated cgroup with EBUSY).
 */
export function removeCgroup(cgroup: string): void {
  const p = cgroupPath(cgroup);
  if (p === cgroup2Root()) throw new ArgumentError('removeCgroup: refusing to remove the cgroup2 root');
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(p, { withFileTypes: true });
  } catch (e) {
    throw fsError('opendir', e, `cgroup ${p}`);
  }
  for (const e of entries) if (e.isDirectory()) removeCgroup(path.join(p, e.name));
  for (const pid of cgroupProcs(p)) {
    try {
      enterCgroup(path.dirname(p), pid);
    } catch (e) {
      // A process that exited meanwhile has nothing left to move.
      if ((e as { code?: string }).code !== 'ESRCH') throw e;
    }
  }
  try {
    fs.rmdirSync(p);
  } catch (e) {
    throw fsError('rmdir', e, `cgroup ${p}`);
  }
}

/** pids in a cgroup (cgroup.procs). */
export function cgroupProcs(cgroup: string): number[] {
  const p = path.join(cgroupPath(cgroup), 'cgroup.procs');
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw fsError('open', e, p);
  }
  return text.split('\n').filter(Boolean).map(Number);
}

/** Move a process (default: this one, all its threads) into a cgroup. */
export function enterCgroup(cgroup: string, pid: number = process.pid): void {
  const p = path.join(cgroupPath(cgroup), 'cgroup.procs');
  try {
    fs.writeFileSync(p, String(pid));
  } catch (e) {
    throw fsError('write', e, `${p} (pid ${pid})`);
  }
}

/** Absolute path of the cgroup v2 group a process is in (from /proc/PID/cgroup). */
export function cgroupOf(pid: number | 'self' = 'self'): string {
  const file = `/proc/${pid}/cgroup`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw fsError('open', e, file);
  }
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  if (line === undefined) throw new NotSupportedError(`${file} has no cgroup v2 entry ("0::...")`);
  return cgroupPath(line.slice(3));
}

/**
 * Open a cgroup directory for BPF_PROG_ATTACH / BPF_LINK_CREATE / BPF_PROG_QUERY.
 * The caller closes the fd (fs.closeSync or native.close).
 */
export function openCgroup(cgroup: string): number {
  const p = cgroupPath(cgroup);
  try {
    return fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (e) {
    throw fsError('open', e, `cgroup ${p}`);
  }
}
