// Test support for the conformance corpus (test/corpus/*.bpf.c): compile each
// program with clang at test time (once per process, in parallel), load it
// with libbpf through bpftool, run it with `bpftool prog run`, and read back
// what libbpf created. Everything bpftool pins lives under
// /sys/fs/bpf/lk<pid>corpus and is removed by cleanupCorpus().
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { BtfReader, ElfFile } from '@lockne/obj';
import { kernelBtf } from '../../src/btf/kernel-btf.js';
import type { CorpusEntry, CorpusEnv } from '../corpus/manifest.js';

const run = promisify(execFile);

/** Where the .bpf.c sources are (the build does not copy them next to the compiled tests). */
export const CORPUS_SRC = fileURLToPath(new URL('../../../test/corpus/', import.meta.url));
/** Name of pin_by_name.bpf.c's map: unique to this process, at most 15 characters. */
export const PIN_MAP_NAME = `lkpin${process.pid}`;
/** bpffs directory holding everything bpftool pins for this process. */
export const PIN_ROOT = `/sys/fs/bpf/lk${process.pid}corpus`;

const CLANG = 'clang';
const BPFTOOL = 'bpftool';

let workDir: string | undefined;
function work(): string {
  workDir ??= fs.mkdtempSync(path.join(os.tmpdir(), `lk${process.pid}corpus-`));
  return workDir;
}

/** Why the corpus cannot be built or loaded here (missing tool), or null. */
export function corpusToolsMissing(): string | null {
  for (const [tool, args] of [[CLANG, ['--version']], [BPFTOOL, ['version']]] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return null;
}

// ---- compiling -------------------------------------------------------------

export interface CompiledObject {
  name: string;
  /** Path of the .o (after any .BTF.ext patch). */
  path: string;
  bytes: Uint8Array;
}

let vmlinuxDir: Promise<string> | undefined;

/** A directory holding vmlinux.h dumped from this kernel's BTF (once per process). */
function vmlinuxHeaderDir(): Promise<string> {
  vmlinuxDir ??= (async () => {
    const dir = path.join(work(), 'include');
    fs.mkdirSync(dir, { recursive: true });
    const { stdout } = await run(BPFTOOL, ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { maxBuffer: 64 << 20 });
    fs.writeFileSync(path.join(dir, 'vmlinux.h'), stdout);
    return dir;
  })();
  return vmlinuxDir;
}

let multiarch: string | undefined;
function multiarchInclude(): string {
  multiarch ??= execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  return `/usr/include/${multiarch}`;
}

async function compileOne(entry: CorpusEntry): Promise<CompiledObject> {
  const inc = await vmlinuxHeaderDir();
  const src = path.join(CORPUS_SRC, `${entry.name}.bpf.c`);
  const out = path.join(work(), `${entry.name}.o`);
  try {
    await run(CLANG, ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', `-DLK_PIN_MAP=${PIN_MAP_NAME}`,
      `-I${inc}`, `-I${multiarchInclude()}`, '-c', src, '-o', out]);
  } catch (e) {
    throw new Error(`clang failed on ${src}:\n${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
  let bytes: Uint8Array = fs.readFileSync(out);
  if (entry.patchCoreKinds) {
    const n = patchCoreKinds(bytes, entry.patchCoreKinds.from, entry.patchCoreKinds.to);
    if (n === 0) throw new Error(`${entry.name}: no CO-RE record of kind ${entry.patchCoreKinds.from} to patch`);
    fs.writeFileSync(out, bytes);
  }
  bytes = fs.readFileSync(out);
  return { name: entry.name, path: out, bytes };
}

const compiled = new Map<string, Promise<CompiledObject>>();
let slots = Math.max(1, os.availableParallelism());
const waiting: (() => void)[] = [];

/** Run `fn` when fewer than availableParallelism() compiles are in flight. */
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (slots === 0) await new Promise<void>((r) => waiting.push(r));
  else slots--;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  }
}

/** The compiled object of `entry` (compiled once per process; all entries compile in parallel). */
export function compileEntry(entry: CorpusEntry): Promise<CompiledObject> {
  let p = compiled.get(entry.name);
  if (!p) {
    p = limited(() => compileOne(entry));
    // A rejection is reported by whoever awaits it; keep an unawaited one from crashing the process.
    p.catch(() => undefined);
    compiled.set(entry.name, p);
  }
  return p;
}

/** Start compiling every entry now. */
export function compileAll(entries: readonly CorpusEntry[]): Promise<CompiledObject[]> {
  return Promise.all(entries.map(compileEntry));
}

// ---- ELF facts the coverage test and the patcher need ------------------------

function section(bytes: Uint8Array, name: string): { offset: number; size: number } | undefined {
  return ElfFile.parse(bytes).section(name);
}

/** The object's .BTF, parsed. */
export function objectBtf(bytes: Uint8Array): BtfReader {
  const s = section(bytes, '.BTF');
  if (!s) throw new Error('object has no .BTF section');
  return BtfReader.parse(bytes.slice(s.offset, s.offset + s.size));
}

interface CoreRecord {
  /** Byte offset of the record's `kind` field in the file. */
  kindAt: number;
  kind: number;
}

/** Every bpf_core_relo record of .BTF.ext. */
function coreRecords(bytes: Uint8Array): CoreRecord[] {
  const s = section(bytes, '.BTF.ext');
  if (!s) return [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hdrLen = v.getUint32(s.offset + 4, true);
  if (hdrLen < 32) return []; // no core_relo_off/len: no CO-RE records
  const start = s.offset + hdrLen + v.getUint32(s.offset + 24, true);
  const end = start + v.getUint32(s.offset + 28, true);
  if (end <= start) return [];
  const recSize = v.getUint32(start, true);
  const out: CoreRecord[] = [];
  // After rec_size: per ELF section { sec_name_off, num_info, records[num_info] }.
  for (let o = start + 4; o + 8 <= end;) {
    const n = v.getUint32(o + 4, true);
    o += 8;
    for (let i = 0; i < n; i++, o += recSize) out.push({ kindAt: o + 12, kind: v.getUint32(o + 12, true) });
  }
  return out;
}

/** Kinds (enum bpf_core_relo_kind) of every CO-RE record in the object. */
export function coreReloKinds(bytes: Uint8Array): number[] {
  return coreRecords(bytes).map((r) => r.kind);
}

/** Rewrite every CO-RE record of kind `from` to `to`, in place. Returns how many. */
export function patchCoreKinds(bytes: Uint8Array, from: number, to: number): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (const r of coreRecords(bytes)) {
    if (r.kind !== from) continue;
    v.setUint32(r.kindAt, to, true);
    n++;
  }
  return n;
}

export interface ElfRelocation {
  /** The section the relocations apply to ('.maps', 'tc', '.BTF.ext', ...). */
  target: string;
  /** R_BPF_* number. */
  type: number;
  /** STT_* of the symbol. */
  symbolType: number;
  /** Name of the section the symbol is defined in ('' for undefined symbols). */
  symbolSection: string;
  /** For relocations in code: the instruction's imm (the addend clang leaves there). */
  imm: number;
}

/** Every Elf64_Rel entry of the object. */
export function elfRelocations(bytes: Uint8Array): ElfRelocation[] {
  const elf = ElfFile.parse(bytes);
  const syms = elf.symbols().filter((s) => s.table === '.symtab');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ElfRelocation[] = [];
  for (const s of elf.sections) {
    if (s.type !== 9) continue; // SHT_REL
    const target = elf.sections[s.info];
    if (!target) continue;
    for (let o = s.offset; o + 16 <= s.offset + s.size; o += 16) {
      const at = Number(v.getBigUint64(o, true));
      const info = v.getBigUint64(o + 8, true);
      const sym = syms[Number(info >> 32n)];
      const immAt = target.offset + at + 4;
      out.push({
        target: target.name,
        type: Number(info & 0xffffffffn),
        symbolType: sym?.type ?? 0,
        symbolSection: (sym && sym.shndx > 0 && sym.shndx < 0xff00 ? elf.sections[sym.shndx]?.name : undefined) ?? '',
        imm: immAt + 4 <= bytes.byteLength ? v.getInt32(immAt, true) : 0,
      });
    }
  }
  return out;
}

// ---- the environment expectations read -----------------------------------------

let kconfigText: string | undefined;
let kallsymsText: string | undefined;

/** Facts for one compiled object's expectations. */
export function corpusEnv(obj: CompiledObject): CorpusEnv {
  return {
    kernelVersion: () => {
      const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(os.release());
      if (!m) throw new Error(`cannot parse kernel release '${os.release()}'`);
      return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255);
    },
    kernelBtf,
    objectBtf: () => objectBtf(obj.bytes),
    kconfig: (name) => {
      kconfigText ??= gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8');
      const m = new RegExp(`^${name}=(.*)$`, 'm').exec(kconfigText);
      return m?.[1];
    },
    kallsyms: (name) => {
      kallsymsText ??= fs.readFileSync('/proc/kallsyms', 'utf8');
      const m = new RegExp(`^([0-9a-f]+) \\S ${name}$`, 'm').exec(kallsymsText);
      if (!m) throw new Error(`${name} is not in /proc/kallsyms`);
      return BigInt(`0x${m[1]}`);
    },
    comm: (pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd(),
  };
}

// ---- bpftool ---------------------------------------------------------------

/** bpftool exited non-zero: its stderr is the evidence. */
export class BpftoolError extends Error {
  constructor(readonly args: readonly string[], readonly stderr: string) {
    super(`bpftool ${args.join(' ')} failed:\n${stderr.trim().split('\n').slice(-15).join('\n')}`);
    this.name = 'BpftoolError';
  }
}

function bpftool(args: string[]): string {
  try {
    return execFileSync(BPFTOOL, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    throw new BpftoolError(args, `${err.stderr ?? ''}${err.stdout ?? ''}` || String(e));
  }
}

function bpftoolJson<T>(args: string[]): T {
  return JSON.parse(bpftool(['-j', ...args])) as T;
}

/** A map's definition, as compared between loaders. */
export interface MapDef {
  /** User maps by name; global data maps by section ('.rodata'): libbpf's kernel name minus its object prefix. */
  name: string;
  /** The name the kernel holds. */
  kernelName: string;
  id: number;
  /** Lower-case type name as bpftool prints it ('array_of_maps'). */
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Created with BTF key/value types (libbpf drops them when the kernel refuses the object's BTF). */
  hasBtf: boolean;
}

/** A loaded program's kernel view, as compared between loaders. */
export interface ProgDef {
  /** Function name. */
  name: string;
  /** The kernel's name (at most 15 characters). */
  kernelName: string;
  /** Lower-case program type as bpftool prints it ('sched_cls'). */
  type: string;
  /** Loaded with the object's BTF (func_info / line_info). */
  hasBtf: boolean;
}

/** The name a map is compared by: from the first '.' for global data maps ('global_d.data' -> '.data'). */
export function mapKey(kernelName: string): string {
  const dot = kernelName.indexOf('.');
  return dot < 0 ? kernelName : kernelName.slice(dot);
}

interface BpftoolMap {
  id: number; type: string; name: string; flags: number;
  bytes_key: number; bytes_value: number; max_entries: number; btf_id?: number;
}

function mapDef(m: BpftoolMap): MapDef {
  return {
    name: mapKey(m.name), kernelName: m.name, id: m.id, type: m.type,
    keySize: m.bytes_key, valueSize: m.bytes_value, maxEntries: m.max_entries, flags: m.flags, hasBtf: (m.btf_id ?? 0) > 0,
  };
}

/** What libbpf made of one object: pinned programs and the maps it created. */
export interface LibbpfLoad {
  dir: string;
  /** Pin path of each program, by function name. */
  programs: Map<string, string>;
  /** bpftool's view of each program, sorted by name. */
  progDefs: ProgDef[];
  /** Every map libbpf created for the object (pinned ones and those the programs use), sorted by name. */
  maps: MapDef[];
  /** Pin path of each map pinned by pinmaps, by compared name. */
  mapPins: Map<string, string>;
  /** Unpin everything (programs and maps go away with their last reference). */
  close(): void;
}

let loadCount = 0;

/**
 * `bpftool prog loadall OBJ DIR/progs [pinmaps DIR/maps]`: libbpf opens,
 * relocates and loads the whole object, pinning every program by name.
 * pinmaps is left out when the object pins by name (libbpf refuses to pin a
 * LIBBPF_PIN_BY_NAME map anywhere else); those maps are then found through the
 * programs' map ids, and their by-name pins are removed by close().
 * Throws BpftoolError when libbpf refuses the object.
 */
export function libbpfLoad(obj: CompiledObject, opts: { pinMaps?: boolean; byNamePins?: string[] } = {}): LibbpfLoad {
  fs.mkdirSync(PIN_ROOT, { recursive: true });
  const dir = path.join(PIN_ROOT, `${obj.name}-${loadCount++}`);
  const progDir = path.join(dir, 'progs');
  const mapDir = path.join(dir, 'maps');
  const pinMaps = opts.pinMaps ?? true;
  const close = (): void => {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const p of opts.byNamePins ?? []) fs.rmSync(p, { force: true });
  };
  try {
    fs.mkdirSync(dir); // bpftool checks that PATH's parent is on bpffs
    bpftool(['prog', 'loadall', obj.path, progDir, ...(pinMaps ? ['pinmaps', mapDir] : [])]);
    const programs = new Map<string, string>();
    const progDefs: ProgDef[] = [];
    const mapIds = new Set<number>();
    for (const f of fs.readdirSync(progDir).sort()) {
      const pin = path.join(progDir, f);
      const info = bpftoolJson<{ name: string; type: string; btf_id?: number; map_ids?: number[] }>(['prog', 'show', 'pinned', pin]);
      programs.set(f, pin);
      // bpftool prints the BTF function name where the kernel kept only 15 characters of it.
      progDefs.push({ name: f, kernelName: info.name.slice(0, 15), type: info.type, hasBtf: (info.btf_id ?? 0) > 0 });
      for (const id of info.map_ids ?? []) mapIds.add(id);
    }
    const byId = new Map<number, MapDef>();
    const mapPins = new Map<string, string>();
    if (pinMaps && fs.existsSync(mapDir)) {
      for (const f of fs.readdirSync(mapDir)) {
        const pin = path.join(mapDir, f);
        const def = mapDef(bpftoolJson<BpftoolMap>(['map', 'show', 'pinned', pin]));
        byId.set(def.id, def);
        mapPins.set(def.name, pin);
      }
    }
    for (const id of mapIds) {
      if (!byId.has(id)) byId.set(id, mapDef(bpftoolJson<BpftoolMap>(['map', 'show', 'id', String(id)])));
    }
    const maps = [...byId.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { dir, programs, progDefs, maps, mapPins, close };
  } catch (e) {
    close();
    throw e;
  }
}

export interface RunResult {
  retval: number;
  data: Uint8Array;
}

let runCount = 0;

/** `bpftool prog run pinned PIN data_in F data_out G repeat 1`. */
export function bpftoolRun(pin: string, data: Uint8Array): RunResult {
  const n = runCount++;
  const inFile = path.join(work(), `in-${n}.bin`);
  const outFile = path.join(work(), `out-${n}.bin`);
  fs.writeFileSync(inFile, data);
  try {
    const r = bpftoolJson<{ retval: number }>(['prog', 'run', 'pinned', pin, 'data_in', inFile, 'data_out', outFile,
      'data_size_out', String(data.byteLength + 256), 'repeat', '1']);
    return { retval: r.retval, data: new Uint8Array(fs.readFileSync(outFile)) };
  } finally {
    fs.rmSync(inFile, { force: true });
    fs.rmSync(outFile, { force: true });
  }
}

/**
 * Remove what earlier runs of this test left behind when they were killed
 * before their cleanup ran: only our own names (lk<pid>corpus, lkpin<pid>), and
 * only for pids that no longer exist.
 */
export function removeStaleCorpusFiles(): void {
  const dead = (pid: string): boolean => pid !== String(process.pid) && !fs.existsSync(`/proc/${pid}`);
  const sweep = (dir: string, pattern: RegExp): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = pattern.exec(n);
      if (m && dead(m[1]!)) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
    }
  };
  sweep(os.tmpdir(), /^lk(\d+)corpus-/);
  sweep('/sys/fs/bpf', /^lk(\d+)corpus$/);
  sweep('/sys/fs/bpf', /^lkpin(\d+)$/);
}

/** Remove every pin and temporary file this process made. */
export function cleanupCorpus(): void {
  fs.rmSync(PIN_ROOT, { recursive: true, force: true });
  fs.rmSync(`/sys/fs/bpf/${PIN_MAP_NAME}`, { force: true });
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
}
