// One loader's view of a loaded corpus object, so the conformance test can run
// the same checks against libbpf's load (through bpftool) and ours.
import fs from 'node:fs';
import type { BpfMap } from '../../src/maps/map.js';
import type { Program } from '../../src/programs/program.js';
import { openPinnedMap, openPinnedProgram } from '../../src/pin.js';
import { attachTpBtf } from '../../src/links/tp-btf.js';
import { attachTracepoint } from '../../src/links/tracepoint.js';
import { iterate } from '../../src/links/iter.js';
import type { Behaviour, CorpusEntry, CorpusEnv, CorpusRun, Expect } from '../corpus/manifest.js';
import { packet } from '../corpus/packet.js';
import { bpftoolRun, type LibbpfLoad, type MapDef, type ProgDef } from './corpus.js';

export interface SideRunResult {
  retval: number;
  /** data_out (empty when the run had no data). */
  data: Uint8Array;
  /** ctx_in after the run (what a syscall program wrote back), when the run had a ctx. */
  ctx?: Uint8Array;
}

/** A loaded object as one loader made it. close() releases everything. */
export interface LoadedSide {
  readonly label: string;
  /** Entry program names, sorted. */
  programNames(): string[];
  /** The kernel's view of every program, sorted by name. */
  progDefs(): ProgDef[];
  /** Every map created for the object, sorted by compared name. */
  maps(): MapDef[];
  /** Test-run `run` with `input` (data) on this side's program. */
  run(run: CorpusRun, input: Uint8Array | null): SideRunResult;
  /** A program to attach (borrowed: valid until close()). */
  program(name: string): Program;
  /** A map by compared name (borrowed: valid until close()); read it with getBytes. */
  map(name: string): BpfMap<unknown, unknown>;
  close(): void;
}

export function expected<T>(e: Expect<T>, env: CorpusEnv): T {
  return typeof e === 'function' ? (e as (env: CorpusEnv) => T)(env) : e;
}

/** The data_in of a run: its own, the standard packet, or none. */
export function runInput(run: CorpusRun): Uint8Array | null {
  return run.data === undefined ? packet() : run.data;
}

/**
 * Run with our Program.testRun. ctx_in goes without ctx_out, so a syscall
 * program writes back into it; runs without data pass repeat 0, as raw_tp and
 * syscall test-runs refuse any other (EINVAL).
 */
export function testRunProgram(prog: Program, run: CorpusRun, input: Uint8Array | null): SideRunResult {
  const ctx = run.ctx?.slice();
  const r = prog.testRun({ data: input ?? undefined, ctx, ctxOutSize: 0, repeat: input ? 1 : 0 });
  return { retval: r.retval, data: r.data, ...(ctx ? { ctx } : {}) };
}

/** libbpf's load, with programs run by bpftool (or by us on the pinned program, see CorpusRun.runner). */
export function libbpfSide(load: LibbpfLoad): LoadedSide {
  const opened: { close(): void }[] = [];
  const programs = new Map<string, Program>();
  const program = (name: string): Program => {
    let p = programs.get(name);
    if (!p) {
      const pin = load.programs.get(name);
      if (!pin) throw new Error(`libbpf pinned no program '${name}'`);
      p = openPinnedProgram(pin);
      programs.set(name, p);
      opened.push(p);
    }
    return p;
  };
  return {
    label: 'libbpf',
    programNames: () => [...load.programs.keys()].sort(),
    progDefs: () => load.progDefs,
    maps: () => load.maps,
    run(run, input) {
      if (run.runner === 'lockne') return testRunProgram(program(run.program), run, input);
      const pin = load.programs.get(run.program);
      if (!pin) throw new Error(`libbpf pinned no program '${run.program}'`);
      if (!input) throw new Error(`bpftool prog run needs data for '${run.program}'`);
      return bpftoolRun(pin, input);
    },
    program,
    map(name) {
      const pin = load.mapPins.get(name);
      if (!pin) throw new Error(`libbpf pinned no map '${name}'`);
      const m = openPinnedMap(pin);
      opened.push(m);
      return m as BpfMap<unknown, unknown>;
    },
    close() {
      for (const o of opened.splice(0)) o.close();
      load.close();
    },
  };
}

function u32Key(n: number): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, n, true);
  return k;
}

/**
 * Attach the program a behaviour names, trigger it, detach, and return what
 * it observably did: seen[our pid] (tp_btf), whether counts[our pid] >= 1
 * (tracepoint), or the iterator's text.
 */
export function observe(side: LoadedSide, b: Behaviour): number | boolean | string {
  const prog = side.program(b.program);
  switch (b.kind) {
    case 'tp_btf': {
      const map = side.map(b.map);
      const link = attachTpBtf(prog);
      try {
        fs.statSync('/'); // any syscall enters sys_enter
      } finally {
        link.close();
      }
      const v = map.getBytes(u32Key(process.pid));
      return v ? new DataView(v.buffer, v.byteOffset).getUint32(0, true) : -1;
    }
    case 'tracepoint': {
      const map = side.map(b.map);
      const link = attachTracepoint(prog, b.category, b.event);
      try {
        void process.ppid; // getppid(2)
      } finally {
        link.close();
      }
      const v = map.getBytes(u32Key(process.pid));
      return v !== undefined && new DataView(v.buffer, v.byteOffset).getBigUint64(0, true) >= 1n;
    }
    case 'iter':
      return iterate(prog).toString('utf8');
  }
}

/** What a behaviour must observe. */
export function expectedObservation(entry: CorpusEntry, b: Behaviour, env: CorpusEnv): number | boolean | string {
  switch (b.kind) {
    case 'tp_btf':
      return process.pid;
    case 'tracepoint':
      return true;
    case 'iter':
      return expected(b.text, env);
  }
  throw new Error(`${entry.name}: unknown behaviour`);
}
