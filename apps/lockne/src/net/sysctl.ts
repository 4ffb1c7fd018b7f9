// Network sysctls (rp_filter, src_valid_mark, ...) of a given network
// namespace, through /proc/sys/net.
//
// Why the namespace switch: /proc/sys/net shows the namespace of the thread
// that *opens* the file (the lookup resolves against current->nsproxy), not
// the namespace of whoever mounted /proc, and there is no /proc/<pid>/sys.
// So we setns() the JS thread into the target (inNetns from @lockne/bpf),
// open+read/write synchronously (Node's sync fs calls run on this thread), and
// switch back before anything else can run.
import fs from 'node:fs';
import { ArgumentError, SyscallError, inNetns, netnsLabel, type NetnsRef } from '@lockne/bpf';
import type { IpFamily } from './addr.js';
import { checkIfName } from './rtnl.js';

/** A key: dotted ("net.ipv4.conf.all.rp_filter"), slashed ("net/ipv4/conf/eth0.5/rp_filter") or segments. */
export type SysctlKey = string | readonly string[];

export interface SysctlOptions {
  /** The network namespace (name under /run/netns, path or { pid }); default: the caller's. */
  netns?: NetnsRef;
}

function segments(key: SysctlKey): string[] {
  const segs = typeof key === 'string' ? key.split(key.includes('/') ? '/' : '.') : [...key];
  if (segs.length < 2 || segs.some((s) => !s || s === '.' || s === '..' || s.includes('/') || s.includes('\0'))) {
    throw new ArgumentError(`sysctl key '${typeof key === 'string' ? key : key.join('/')}' is malformed`);
  }
  // Only net.* is per network namespace; anything else would silently act on the host.
  if (segs[0] !== 'net') throw new ArgumentError(`sysctl key '${segs.join('.')}': only net.* keys are handled here`);
  return segs;
}

/** "net.ipv4.conf.eth0.rp_filter" (segments joined by dots, as sysctl -a prints). */
function keyName(segs: readonly string[]): string {
  return segs.join('.');
}

/**
 * The /proc/sys path of a key.
 * @example sysctlPath('net.ipv4.conf.all.src_valid_mark') === '/proc/sys/net/ipv4/conf/all/src_valid_mark'
 */
export function sysctlPath(key: SysctlKey): string {
  return `/proc/sys/${segments(key).join('/')}`;
}

/**
 * The key of a per-interface setting: net.ipv{4,6}.conf.<iface>.<name>,
 * where iface may be 'all' or 'default'. Segments, so names with dots work.
 * @example confKey(4, 'eth0.100', 'rp_filter') // ['net', 'ipv4', 'conf', 'eth0.100', 'rp_filter']
 */
export function confKey(family: IpFamily, iface: string, name: string): string[] {
  if (family !== 4 && family !== 6) throw new ArgumentError(`sysctl conf key: family must be 4 or 6, got ${String(family)}`);
  checkIfName(iface, 'sysctl conf key');
  if (!/^[a-z0-9_]+$/.test(name)) throw new ArgumentError(`sysctl conf key: '${name}' is not a setting name`);
  return ['net', family === 4 ? 'ipv4' : 'ipv6', 'conf', iface, name];
}

function fail(call: string, e: unknown, segs: readonly string[], opts: SysctlOptions, extra = ''): Error {
  const errno = Math.abs((e as NodeJS.ErrnoException)?.errno ?? 0);
  if (!errno) return e instanceof Error ? e : new Error(String(e));
  const ns = opts.netns === undefined ? '' : ` in netns ${netnsLabel(opts.netns)}`;
  let hint = '';
  if (errno === 2) {
    hint = segs[2] === 'conf' && segs.length === 5 && segs[3] !== 'all' && segs[3] !== 'default'
      ? `: no such key (is there an interface '${segs[3]}'${ns}?)`
      : ': no such key';
  }
  return new SyscallError(call, errno, `sysctl ${keyName(segs)}${extra}${ns}${hint}`);
}

/**
 * Read a sysctl (trimmed text) in `opts.netns` or here.
 * @example readSysctl('net.ipv4.conf.all.rp_filter', { netns: 'lkc' }) // '0'
 */
export function readSysctl(key: SysctlKey, opts: SysctlOptions = {}): string {
  const segs = segments(key);
  const path = `/proc/sys/${segs.join('/')}`;
  try {
    return inNetns(opts.netns, () => fs.readFileSync(path, 'utf8')).trim();
  } catch (e) {
    if (e instanceof SyscallError || e instanceof ArgumentError) throw e;
    throw fail('read', e, segs, opts);
  }
}

/**
 * Read an integer sysctl.
 * @example readSysctlInt(confKey(4, 'wg0', 'rp_filter')) // 0, 1 or 2
 */
export function readSysctlInt(key: SysctlKey, opts: SysctlOptions = {}): number {
  const text = readSysctl(key, opts);
  if (!/^-?[0-9]+$/.test(text)) throw new ArgumentError(`sysctl ${keyName(segments(key))} is '${text}', not an integer`);
  return Number(text);
}

/**
 * Write a sysctl in `opts.netns` or here. A value the kernel refuses throws
 * SyscallError 'EINVAL' naming the key and value.
 * @example writeSysctl('net.ipv4.conf.all.src_valid_mark', 1, { netns: 'lkc' })
 */
export function writeSysctl(key: SysctlKey, value: string | number, opts: SysctlOptions = {}): void {
  const segs = segments(key);
  const path = `/proc/sys/${segs.join('/')}`;
  const text = String(value);
  if (text.includes('\n')) throw new ArgumentError(`sysctl ${keyName(segs)}: the value must be one line`);
  let fd: number;
  try {
    fd = inNetns(opts.netns, () => fs.openSync(path, fs.constants.O_WRONLY));
  } catch (e) {
    if (e instanceof SyscallError || e instanceof ArgumentError) throw e;
    throw fail('open', e, segs, opts);
  }
  // Opened in the target namespace, the fd keeps pointing at its table.
  try {
    fs.writeSync(fd, `${text}\n`);
  } catch (e) {
    throw fail('write', e, segs, opts, ` = '${text}'`);
  } finally {
    fs.closeSync(fd);
  }
}

/** rp_filter modes: 0 off, 1 strict, 2 loose. */
export type RpFilterMode = 0 | 1 | 2;

/**
 * net.ipv4.conf.<iface>.rp_filter. The kernel uses the maximum of 'all' and
 * the interface's value, so relaxing one interface also needs 'all' relaxed.
 * @example setRpFilter('all', 2, { netns: 'lkc' }); setRpFilter('wg0', 2, { netns: 'lkc' })
 */
export function setRpFilter(iface: string, mode: RpFilterMode, opts: SysctlOptions = {}): void {
  if (mode !== 0 && mode !== 1 && mode !== 2) throw new ArgumentError(`rp_filter for ${iface}: mode must be 0, 1 or 2, got ${String(mode)}`);
  writeSysctl(confKey(4, iface, 'rp_filter'), mode, opts);
}

/** The rp_filter value of an interface ('all', 'default' or a name). */
export function getRpFilter(iface: string, opts: SysctlOptions = {}): number {
  return readSysctlInt(confKey(4, iface, 'rp_filter'), opts);
}

/**
 * The rp_filter the kernel actually applies on an interface: max(all, iface).
 * @example effectiveRpFilter('wg0', { netns: 'lkc' }) // 2
 */
export function effectiveRpFilter(iface: string, opts: SysctlOptions = {}): number {
  return Math.max(getRpFilter('all', opts), getRpFilter(iface, opts));
}

/**
 * net.ipv4.conf.all.src_valid_mark: let the reverse-path check use the
 * packet mark (wg-quick sets it; needed when replies to marked sockets must
 * pass rp_filter).
 * @example setSrcValidMark(true, { netns: 'lkc' })
 */
export function setSrcValidMark(on: boolean, opts: SysctlOptions = {}): void {
  writeSysctl(confKey(4, 'all', 'src_valid_mark'), on ? 1 : 0, opts);
}
