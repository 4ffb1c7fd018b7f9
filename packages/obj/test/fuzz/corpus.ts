// The seed inputs: BPF objects compiled by clang from fuzz/corpus/*.bpf.c at
// fuzz time, their .BTF and .BTF.ext sections, the kernel's BTF and slices of
// it, a hand-built blob with every kind, split BTF built on top of those, and
// one host executable (ElfFile reads those for uprobes).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BtfReader } from '../../src/index.js';
import { Rand } from './rand.js';
import { concat, setU32 } from './bytes.js';
import { btfLayout } from './btf-layout.js';
import { elfLayout, hasData } from './elf-layout.js';
import { everyKindBtf, sliceBtf } from './btf-reencode.js';

export interface Input {
  name: string;
  bytes: Uint8Array;
}

/** Split BTF and the base it sits on. */
export interface SplitInput extends Input {
  base: Uint8Array;
}

/** A .BTF.ext section and the .BTF whose strings it refers to. */
export interface ExtInput extends Input {
  btf: Uint8Array;
}

export interface Corpus {
  /** Standalone BTF blobs of modest size. */
  btf: Input[];
  /** The running kernel's BTF (large: cases on it read a window of types). */
  vmlinux?: Input;
  split: SplitInput[];
  /** Every ELF file: the BPF objects and a host executable. */
  elf: Input[];
  /** The BPF objects only. */
  objects: Input[];
  ext: ExtInput[];
}

export interface CorpusOptions {
  /** Directory of *.bpf.c sources; absent: no objects (no clang). */
  sources?: string;
  /** Where the objects are written. */
  outDir: string;
  /** Also build each program with -mcpu=v3 (more objects, more compile time). */
  variants?: boolean;
  /** Path of the kernel BTF, or false to leave it out. */
  vmlinux?: string | false;
  /** Number of vmlinux slices (default 12). */
  slices?: number;
  /** Types in the large slices (every third; default 2000, the others 300). */
  largeSlice?: number;
}

export const VMLINUX = '/sys/kernel/btf/vmlinux';

export function haveClang(): boolean {
  return spawnSync('clang', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** clang -O2 [-g] -target bpf for every source; returns the objects. */
export function compileObjects(opts: CorpusOptions): Input[] {
  if (opts.sources === undefined) return [];
  const sources = opts.sources;
  mkdirSync(opts.outDir, { recursive: true });
  const multiarch = `/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  const out: Input[] = [];
  for (const file of readdirSync(sources).filter((f) => f.endsWith('.bpf.c')).sort()) {
    const stem = file.slice(0, -'.bpf.c'.length);
    // legacy.bpf.c is the object without BTF, as pre-BTF toolchains emitted.
    const debug = stem.startsWith('legacy') ? [] : ['-g'];
    const builds = [{ name: stem, flags: debug }];
    if (opts.variants) builds.push({ name: `${stem}-v3`, flags: [...debug, '-mcpu=v3'] });
    for (const b of builds) {
      const obj = join(opts.outDir, `${b.name}.bpf.o`);
      const args = ['-O2', ...b.flags, '-target', 'bpf', '-D__TARGET_ARCH_x86', `-I${multiarch}`, '-c', join(sources, file), '-o', obj];
      const r = spawnSync('clang', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`fuzz corpus: clang ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
      out.push({ name: `${b.name}.bpf.o`, bytes: new Uint8Array(readFileSync(obj)) });
    }
  }
  return out;
}

/** The named section's bytes (a copy), or undefined. */
export function sectionBytes(elf: Uint8Array, name: string): Uint8Array | undefined {
  const l = elfLayout(elf);
  const s = l?.sections.find((x) => x.name === name && hasData(elf, x));
  return s ? elf.slice(s.offset, s.offset + s.size) : undefined;
}

/**
 * Split BTF of `top`'s types on top of `base`: references move up by the
 * base's type count (a third are pointed into the base instead) and name
 * offsets by its string length (a fifth name a base string instead, as
 * libbpf's encoder does when the base already holds the string).
 */
export function makeSplit(base: Uint8Array, top: Uint8Array, seed: number): Uint8Array {
  const b = BtfReader.parse(base);
  const l = btfLayout(top, 1, false)!;
  const baseL = btfLayout(base, 1, false)!;
  const r = new Rand(seed);
  const out = top.slice();
  const le = l.le;
  const view = new DataView(out.buffer);
  for (const t of l.types) {
    for (const at of t.refs) {
      const v = view.getUint32(at, le);
      if (v !== 0) setU32(out, at, r.chance(0.33) ? r.int(1, b.count) : v + b.count, le);
    }
    for (const at of t.names) {
      const v = view.getUint32(at, le);
      if (v !== 0) setU32(out, at, r.chance(0.2) && baseL.strings.length > 1 ? r.pick(baseL.strings.slice(1)) : v - 1 + b.stringsLength, le);
    }
  }
  // Split string sections do not start with the empty string: drop it.
  const types = out.subarray(l.typeStart, l.typeEnd);
  const strs = out.subarray(l.strStart + 1, l.strEnd);
  const hdr = out.slice(0, 24);
  setU32(hdr, 8, 0, le);
  setU32(hdr, 12, types.byteLength, le);
  setU32(hdr, 16, types.byteLength, le);
  setU32(hdr, 20, strs.byteLength, le);
  return concat(hdr, types, strs);
}

/** Roots for vmlinux slices: a few well-known types, then seeded random ones. */
function sliceRoots(btf: BtfReader, n: number): number[][] {
  const named = ['sk_buff', 'bpf_map_type', 'task_struct', 'bpf_attr', 'xdp_md', 'bpf_func_id', '.data..percpu', 'btf_type_tag', 'bpf_prog'];
  const out: number[][] = [];
  for (const name of named) {
    const id = btf.findId(name);
    if (id !== undefined) out.push([id]);
  }
  const r = new Rand(0x51ce);
  while (out.length < n) out.push([r.int(1, btf.lastId), r.int(1, btf.lastId), r.int(1, btf.lastId)]);
  return out.slice(0, n);
}

export function buildCorpus(opts: CorpusOptions): Corpus {
  const objects = compileObjects(opts);
  const every = everyKindBtf();
  const btf: Input[] = [{ name: 'every-kind', bytes: every }];
  const ext: ExtInput[] = [];
  for (const o of objects) {
    const b = sectionBytes(o.bytes, '.BTF');
    const e = sectionBytes(o.bytes, '.BTF.ext');
    if (b) btf.push({ name: `${o.name}:.BTF`, bytes: b });
    if (b && e) ext.push({ name: `${o.name}:.BTF.ext`, bytes: e, btf: b });
  }
  let vmlinux: Input | undefined;
  const path = opts.vmlinux === undefined ? VMLINUX : opts.vmlinux;
  if (path && existsSync(path)) {
    vmlinux = { name: 'vmlinux', bytes: new Uint8Array(readFileSync(path)) };
    const kernel = BtfReader.parse(vmlinux.bytes);
    sliceRoots(kernel, opts.slices ?? 12).forEach((roots, i) => {
      btf.push({ name: `vmlinux-slice${i}(${roots.map((id) => kernel.name(id) || id).join(',')})`, bytes: sliceBtf(kernel, roots, i % 3 === 0 ? opts.largeSlice ?? 2000 : 300) });
    });
  }
  const split: SplitInput[] = [];
  const smalls = btf.filter((x) => x.bytes.byteLength < 200_000);
  for (let i = 0; i < smalls.length; i++) {
    const base = smalls[i]!;
    const top = smalls[(i + 1) % smalls.length]!;
    split.push({ name: `${top.name} on ${base.name}`, base: base.bytes, bytes: makeSplit(base.bytes, top.bytes, 0x5b17 + i) });
  }
  const elf = [...objects];
  for (const host of ['/usr/bin/true', '/bin/true']) {
    if (existsSync(host)) {
      elf.push({ name: host, bytes: new Uint8Array(readFileSync(host)) });
      break;
    }
  }
  return { btf, ...(vmlinux ? { vmlinux } : {}), split, elf, objects, ext };
}
