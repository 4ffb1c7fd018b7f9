// Compile a *.bpf.ts source in memory, create its maps, load one program
// (patching map fds into its LD_IMM64 slots) and hand it to the test.
import assert from 'node:assert/strict';
import { BpfMap, Program, bytes, u8, u16, u32, u64, i8, i16, i32, i64, type Codec } from '@lockne/bpf';
import { compile, compileToInstructions, formatDiagnostic, type CompiledProgram, type CompiledModule, type Layout } from '../../src/index.js';

const CODECS: Record<string, Codec<number> | Codec<bigint>> = { u8, u16, u32, u64, i8, i16, i32, i64 };

export function compileSource(source: string, file = '/virtual/test.bpf.ts'): CompiledModule {
  return compileToInstructions(file, { source });
}

/** The ELF object of `source`, insisting on no diagnostics. */
export function objectOf(source: string, file = '/virtual/test.bpf.ts'): Uint8Array {
  const r = compile(file, { source });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return r.object!;
}

/** A NUL-terminated byte string (a `comm`, a path) as text. */
export function cString(b: ArrayLike<number>): string {
  const u = Uint8Array.from(b);
  const end = u.indexOf(0);
  return Buffer.from(end < 0 ? u : u.subarray(0, end)).toString();
}

/** Compile and insist on no diagnostics. */
export function compileOk(source: string): CompiledModule {
  const m = compileSource(source);
  assert.deepEqual(m.diagnostics.map(formatDiagnostic), []);
  return m;
}

/** Integer layouts get their integer codec; structs and arrays are raw bytes (Uint8Array). */
export function codecOf(t: Layout): Codec<number | bigint> {
  if (t.kind !== 'int') return bytes(t.size) as unknown as Codec<number | bigint>;
  return CODECS[t.name] as Codec<number | bigint>;
}

export interface Loaded {
  prog: Program;
  maps: Map<string, BpfMap<number | bigint, number | bigint>>;
  compiled: CompiledProgram;
}

/** Load `name` (default: the first program) with fresh maps; closes everything after `fn`. */
export function withProgram<T>(m: CompiledModule, fn: (l: Loaded) => T, name?: string): T {
  const compiled = name ? m.programs.find((p) => p.name === name) : m.programs[0];
  assert.ok(compiled, `program ${name ?? '(first)'} compiled`);
  const maps = new Map<string, BpfMap<number | bigint, number | bigint>>();
  let prog: Program | undefined;
  try {
    for (const ref of m.maps) {
      if (ref.kind === 'ringbuf') {
        maps.set(ref.name, BpfMap.create({ type: 'RINGBUF', maxEntries: ref.maxEntries }) as unknown as BpfMap<number | bigint, number | bigint>);
        continue;
      }
      maps.set(ref.name, BpfMap.create({
        type: ref.kind === 'array' ? 'ARRAY' : 'HASH', key: codecOf(ref.key), value: codecOf(ref.value), maxEntries: ref.maxEntries,
      }));
    }
    const insns = compiled.instructions.map((i) => ({ ...i }));
    for (const r of compiled.mapRelocs) insns[r.insnOff]!.imm = maps.get(r.map)!.fd;
    prog = Program.load({ type: compiled.progType as 'XDP', instructions: insns, name: compiled.name.slice(0, 15) });
    return fn({ prog, maps, compiled });
  } finally {
    prog?.close();
    for (const mp of maps.values()) mp.close();
  }
}

/** Run the first program of `source` once on a 64-byte packet and return r0. */
export function runOnce(source: string, data = new Uint8Array(64)): number {
  return withProgram(compileOk(source), ({ prog }) => prog.testRun({ data }).retval);
}
