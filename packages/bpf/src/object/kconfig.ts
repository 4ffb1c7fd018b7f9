// `.kconfig` externs (`extern int CONFIG_HZ __kconfig;`), filled like libbpf:
// CONFIG_* from the running kernel's config (/proc/config.gz, else
// /boot/config-$(uname -r)), the virtual LINUX_KERNEL_VERSION,
// LINUX_HAS_BPF_COOKIE and LINUX_HAS_SYSCALL_WRAPPER, overrides from the load
// options first. Values are stored by the extern's BTF type: bool, tristate
// (enum libbpf_tristate), char, integers of 1/2/4/8 bytes, char arrays.
// Unresolved __weak externs stay 0; unresolved strong ones are an error.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { BtfReader, ExternSpec } from '@lockne/obj';
import { ObjectLoadError } from './errors.js';
import { probeHelper } from '../probes/helper.js';
import { kallsyms } from './ksyms.js';
import type { KconfigValue } from './options.js';

type KcfgType =
  | { kind: 'bool' } | { kind: 'tristate' } | { kind: 'char' }
  | { kind: 'int'; signed: boolean } | { kind: 'chars'; length: number } | { kind: 'unknown' };

let configCache: { source: string; values: Map<string, string> } | undefined;

/**
 * node:zlib when a compressed config is read, not at import: loading it (and
 * the stream modules it needs) took 2.3-3.3 ms of every import of @lockne/bpf,
 * for objects that mostly have no kconfig externs.
 */
const gunzip = (raw: Buffer): Buffer => (createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib')).gunzipSync(raw);

/** The running kernel's config as NAME -> raw value ('y', 'm', '100', '"str"'). Cached. */
export function kernelConfig(): { source: string; values: Map<string, string> } {
  if (configCache) return configCache;
  const candidates = ['/proc/config.gz', `/boot/config-${os.release()}`];
  for (const file of candidates) {
    let text: string;
    try {
      const raw = fs.readFileSync(file);
      text = (file.endsWith('.gz') ? gunzip(raw) : raw).toString('utf8');
    } catch {
      continue;
    }
    const values = new Map<string, string>();
    for (const line of text.split('\n')) {
      const m = /^(CONFIG_[A-Za-z0-9_]+)=(.+)$/.exec(line);
      if (m) values.set(m[1]!, m[2]!);
    }
    configCache = { source: file, values };
    return configCache;
  }
  throw new ObjectLoadError('kconfig', `no kernel config found (tried ${candidates.join(', ')})`);
}

/** KERNEL_VERSION(a, b, c) of the running kernel, from uname's release. */
export function kernelVersionCode(): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(os.release());
  if (!m) throw new ObjectLoadError('LINUX_KERNEL_VERSION', `cannot parse kernel release '${os.release()}'`);
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3] ?? 0));
}

function kcfgType(btf: BtfReader | undefined, ext: ExternSpec): KcfgType {
  if (!btf || !ext.btfTypeId) return ext.size === 1 ? { kind: 'char' } : { kind: 'int', signed: false };
  let id = ext.btfTypeId;
  const t0 = btf.type(id);
  if (t0.kind === 'VAR') id = t0.type;
  const real = btf.skipModifiers(id);
  if (real === 0) return { kind: 'unknown' };
  const t = btf.type(real);
  switch (t.kind) {
    case 'INT':
      if (t.bool) return t.size === 1 ? { kind: 'bool' } : { kind: 'unknown' };
      if (t.size === 1) return { kind: 'char' };
      return [2, 4, 8].includes(t.size) ? { kind: 'int', signed: t.signed } : { kind: 'unknown' };
    case 'ENUM': case 'ENUM64':
      return t.name === 'libbpf_tristate' ? { kind: 'tristate' } : { kind: 'unknown' };
    case 'ARRAY': {
      const e = btf.skipModifiers(t.elemType);
      const et = e ? btf.type(e) : undefined;
      return et?.kind === 'INT' && et.size === 1 && !et.bool && t.nelems > 0 ? { kind: 'chars', length: t.nelems } : { kind: 'unknown' };
    }
    default:
      return { kind: 'unknown' };
  }
}

/** Store `value` (a config-file style string, or a JS value) at `at` as `type`. */
function store(name: string, type: KcfgType, size: number, value: KconfigValue, out: DataView, at: number): void {
  const fail = (why: string): never => { throw new ObjectLoadError(`extern (kcfg) '${name}'`, why); };
  let v: KconfigValue = value;
  if (typeof v === 'boolean') v = v ? 'y' : 'n';
  if (typeof v === 'string' && (v === 'y' || v === 'n' || v === 'm')) {
    if (type.kind === 'bool') {
      if (v === 'm') fail(`value 'm' implies a tristate or char type`);
      out.setUint8(at, v === 'y' ? 1 : 0);
    } else if (type.kind === 'tristate') {
      out.setUint32(at, v === 'y' ? 1 : v === 'm' ? 2 : 0, true);
    } else if (type.kind === 'char') {
      out.setUint8(at, v.charCodeAt(0));
    } else {
      fail(`value '${v}' implies a bool, tristate or char type`);
    }
    return;
  }
  if (typeof v === 'string' && (type.kind === 'chars' || v.startsWith('"'))) {
    if (type.kind !== 'chars') return fail(`value ${v} implies a char array`);
    const text = v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
    const b = new TextEncoder().encode(text).subarray(0, type.length - 1);
    for (let i = 0; i < type.length; i++) out.setUint8(at + i, b[i] ?? 0);
    return;
  }
  let n: bigint;
  try {
    n = typeof v === 'bigint' ? v : BigInt(v);
  } catch {
    return fail(`value '${String(v)}' is not an integer`);
  }
  if (type.kind === 'bool' && n > 1n) fail(`value ${n} is not boolean`);
  if (type.kind !== 'int' && type.kind !== 'char' && type.kind !== 'bool') fail(`value ${n} implies an integer, char or bool type`);
  const bits = BigInt(size * 8);
  const signed = type.kind === 'int' && type.signed;
  const fits = size === 8 ? BigInt.asUintN(64, n) === n || BigInt.asIntN(64, n) === n
    : signed ? n >= -(1n << (bits - 1n)) && n < 1n << (bits - 1n) : n >= 0n && n < 1n << bits;
  if (!fits) fail(`value ${n} does not fit in ${size} bytes`);
  const u = BigInt.asUintN(size * 8, n);
  for (let i = 0; i < size; i++) out.setUint8(at + i, Number((u >> BigInt(8 * i)) & 0xffn));
}

/** The value libbpf gives a virtual LINUX_* extern, or undefined for an unknown one. */
function virtualValue(name: string): number | undefined {
  switch (name) {
    case 'LINUX_KERNEL_VERSION':
      return kernelVersionCode();
    case 'LINUX_HAS_BPF_COOKIE':
      return probeHelper('TRACEPOINT', 'bpf_get_attach_cookie').status === 'supported' ? 1 : 0;
    case 'LINUX_HAS_SYSCALL_WRAPPER':
      // Syscalls go through __<arch>_sys_* wrappers (x86-64 and arm64 since 4.17).
      return kallsyms().has(`${syscallPrefix()}sys_bpf`) ? 1 : 0;
    default:
      return undefined;
  }
}

/** libbpf's arch prefix of syscall wrapper symbols. */
export function syscallPrefix(): string {
  switch (process.arch) {
    case 'x64': return '__x64_';
    case 'arm64': return '__arm64_';
    case 's390x': return '__s390x_';
    case 'arm': return '__arm_';
    case 'riscv64': return '__riscv_';
    case 'ppc64': return '__powerpc_';
    default: return '__se_';
  }
}

/** Fill the `.kconfig` image with every kconfig extern's value. */
export function fillKconfig(externs: readonly ExternSpec[], btf: BtfReader | undefined, image: Uint8Array, overrides: Record<string, KconfigValue> = {}): void {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (const ext of externs) {
    if (ext.kind !== 'kconfig') continue;
    const what = `extern (kcfg) '${ext.name}'`;
    if (ext.offset === undefined || ext.size === undefined) throw new ObjectLoadError(what, 'has no offset/size in .kconfig');
    if (ext.offset + ext.size > image.byteLength) throw new ObjectLoadError(what, `at ${ext.offset}+${ext.size} lies outside .kconfig (${image.byteLength} bytes)`);
    const type = kcfgType(btf, ext);
    if (type.kind === 'unknown') throw new ObjectLoadError(what, 'has a type libbpf does not support for kconfig (bool, tristate, char, 1/2/4/8-byte int, char array)');
    let value: KconfigValue | undefined = overrides[ext.name];
    if (value === undefined) {
      if (ext.name.startsWith('CONFIG_')) value = kernelConfig().values.get(ext.name);
      else if (ext.name.startsWith('LINUX_')) value = virtualValue(ext.name);
      if (value === undefined && !ext.weak) {
        const why = ext.name.startsWith('CONFIG_') ? `not set in the kernel config (${kernelConfig().source})` : 'is not a known virtual extern (CONFIG_* and LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER are)';
        throw new ObjectLoadError(what, `${why}; declare it __weak to default to 0`);
      }
    }
    if (value === undefined) continue; // __weak: stays 0
    store(ext.name, type, ext.size, value, view, ext.offset);
  }
}
