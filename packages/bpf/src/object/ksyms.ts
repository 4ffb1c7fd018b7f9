// `__ksym` externs: untyped ones (`extern const void x __ksym;`) become the
// symbol's address from /proc/kallsyms; typed variables and kfuncs become a
// BTF id in the kernel's BTF (the verifier checks the rest). __weak externs
// that do not resolve become 0 (variables) or a poisoned call (kfuncs), as in
// libbpf. Module BTF is not searched (this runtime resolves against vmlinux).
import fs from 'node:fs';
import type { BtfReader, ExternSpec } from '@lockne/obj';
import { kernelBtf, VMLINUX_BTF } from '../btf/kernel-btf.js';
import { ObjectLoadError } from './errors.js';

let symCache: Map<string, bigint> | undefined;

/** /proc/kallsyms as name -> address (first occurrence wins). Cached. */
export function kallsyms(): Map<string, bigint> {
  if (symCache) return symCache;
  let text: string;
  try {
    text = fs.readFileSync('/proc/kallsyms', 'utf8');
  } catch (e) {
    throw new ObjectLoadError('ksym', `cannot read /proc/kallsyms: ${(e as Error).message}`);
  }
  const out = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    // "ffffffff81000000 T _stext" or "... t name\t[module]"
    const sp1 = line.indexOf(' ');
    const sp2 = line.indexOf(' ', sp1 + 1);
    if (sp1 < 0 || sp2 < 0) continue;
    const tab = line.indexOf('\t', sp2 + 1);
    const name = tab < 0 ? line.slice(sp2 + 1) : line.slice(sp2 + 1, tab);
    if (!out.has(name)) out.set(name, BigInt(`0x${line.slice(0, sp1)}`));
  }
  symCache = out;
  return out;
}

/** How one extern was resolved. */
export type ResolvedKsym =
  /** LD_IMM64 of an address (untyped ksym). */
  | { kind: 'addr'; addr: bigint }
  /** A kernel BTF id (typed ksym var, kfunc); btfFd 0 = vmlinux. */
  | { kind: 'btf'; id: number; btfFd: number }
  /** __weak and not found: 0 for variables, a poisoned call for kfuncs. */
  | { kind: 'missing' };

/** Is the extern typed (a BTF VAR with a non-void type, or a FUNC)? */
function isTyped(btf: BtfReader | undefined, ext: ExternSpec): boolean {
  if (ext.kind === 'kfunc') return true;
  if (!btf || !ext.btfTypeId) return false;
  const t = btf.type(ext.btfTypeId);
  if (t.kind === 'FUNC') return true;
  if (t.kind !== 'VAR') return btf.skipModifiers(ext.btfTypeId) !== 0;
  return btf.skipModifiers(t.type) !== 0;
}

/** Resolve every ksym and kfunc extern of the object. */
export function resolveKsyms(externs: readonly ExternSpec[], btf: BtfReader | undefined): Map<string, ResolvedKsym> {
  const out = new Map<string, ResolvedKsym>();
  for (const ext of externs) {
    if (ext.kind === 'kconfig') continue;
    const typed = isTyped(btf, ext);
    const what = `extern (${ext.kind === 'kfunc' ? 'func ksym' : typed ? 'var ksym' : 'ksym'}) '${ext.name}'`;
    if (!typed) {
      const addr = kallsyms().get(ext.name);
      if (addr === undefined) {
        if (!ext.weak) throw new ObjectLoadError(what, 'not found in /proc/kallsyms');
        out.set(ext.name, { kind: 'missing' });
      } else {
        out.set(ext.name, { kind: 'addr', addr });
      }
      continue;
    }
    const isFunc = ext.kind === 'kfunc' || (btf !== undefined && ext.btfTypeId !== undefined && btf.kind(ext.btfTypeId) === 'FUNC');
    // libbpf strips a `___flavour` suffix from kfunc names.
    const name = isFunc ? ext.name.replace(/___[^_].*$/, '') : ext.name;
    const id = kernelBtf().findId(name, isFunc ? 'FUNC' : 'VAR');
    if (id === undefined) {
      if (!ext.weak) throw new ObjectLoadError(what, `no ${isFunc ? 'FUNC' : 'VAR'} '${name}' in kernel BTF (${VMLINUX_BTF})`);
      out.set(ext.name, { kind: 'missing' });
      continue;
    }
    out.set(ext.name, { kind: 'btf', id, btfFd: 0 });
  }
  return out;
}
