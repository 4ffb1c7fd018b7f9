// Worker for the object-parser fuzz test: parses deterministic mutations of
// real objects and reports each outcome, so the test thread can kill it if a
// parse ever hangs. Only ObjectParseError and BtfParseError may escape.
import { parentPort, workerData } from 'node:worker_threads';
import { BtfParseError, ObjectParseError, parseObject } from '../../src/index.js';
import { readElfRel } from '../../src/object/elf-rel.js';
import { Gen, rng } from './random.js';

export interface FuzzJob { objects: Uint8Array[]; seed: number; count: number }
export type FuzzMsg =
  | { kind: 'start'; index: number }
  | { kind: 'done'; index: number; ms: number; outcome: 'ok' | 'ObjectParseError' | 'BtfParseError' }
  | { kind: 'bad'; index: number; ms: number; error: string };

interface Region { start: number; size: number }

/** Interesting areas of a valid object: headers, section table, and each section's data. */
function regions(bytes: Uint8Array): Region[] {
  const elf = readElfRel(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(view.getBigUint64(40, true));
  const out: Region[] = [{ start: 0, size: 64 }, { start: shoff, size: elf.sections.length * 64 }];
  for (const s of elf.sections) if (s.type !== 8 && s.size > 0 && !s.name.startsWith('.debug')) out.push({ start: s.offset, size: s.size });
  return out;
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 0x10, 0x18, 0x40, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

function mutate(g: Gen, orig: Uint8Array, areas: Region[]): Uint8Array {
  let b: Uint8Array = orig.slice();
  const steps = g.int(1, 3);
  for (let s = 0; s < steps; s++) {
    const area = g.int(0, 3) === 0 ? { start: 0, size: b.length } : g.pick(areas);
    const at = Math.min(b.length - 1, area.start + g.int(0, Math.max(0, area.size - 1)));
    if (at < 0) break;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    switch (g.int(0, 5)) {
      case 0: for (let k = g.int(1, 8); k > 0; k--) b[g.int(area.start, Math.min(b.length - 1, area.start + area.size - 1))]! ^= 1 << g.int(0, 7); break;
      case 1: if (at + 4 <= b.length) view.setUint32(at & ~3, g.pick(INTERESTING), g.int(0, 1) === 0); break;
      case 2: if (at + 2 <= b.length) view.setUint16(at & ~1, g.pick(INTERESTING) & 0xffff, true); break;
      case 3: if (at + 8 <= b.length) view.setBigUint64(at & ~7, BigInt(g.pick(INTERESTING)) << BigInt(g.pick([0, 8, 32])), true); break;
      case 4: b = b.slice(0, g.int(0, b.length)); break;
      default: {
        const from = g.int(0, b.length - 1);
        const len = g.int(1, 64);
        b.copyWithin(at, from, Math.min(b.length, from + len));
      }
    }
    if (b.length === 0) break;
  }
  return b;
}

/** An error's offset must lie inside the section it names (the file for ''), or it points nowhere. */
function offsetOutside(e: ObjectParseError, bytes: Uint8Array): string | undefined {
  let size = bytes.length;
  if (e.section !== '') {
    let secs;
    try {
      secs = readElfRel(bytes).sections.filter((s) => s.name === e.section);
    } catch {
      return undefined;
    }
    if (secs.length === 0) return `error names section '${e.section}', which the file does not have: ${e.message}`;
    // Mutated names can repeat: any section of that name will do.
    size = Math.max(...secs.map((s) => s.size));
  }
  return e.offset >= 0 && e.offset < Math.max(size, 1) ? undefined : `offset ${e.offset} is outside '${e.section}' (${size} bytes): ${e.message}`;
}

const job = workerData as FuzzJob;
const areas = job.objects.map(regions);
for (let i = 0; i < job.count; i++) {
  const g = new Gen(rng((job.seed * 0x9e3779b1 + i) >>> 0));
  const which = i % job.objects.length;
  const bytes = mutate(g, job.objects[which]!, areas[which]!);
  parentPort!.postMessage({ kind: 'start', index: i } satisfies FuzzMsg);
  const t0 = performance.now();
  try {
    parseObject(bytes);
    parentPort!.postMessage({ kind: 'done', index: i, ms: performance.now() - t0, outcome: 'ok' } satisfies FuzzMsg);
  } catch (e) {
    const ms = performance.now() - t0;
    const outside = e instanceof ObjectParseError ? offsetOutside(e, bytes) : undefined;
    if (outside) {
      parentPort!.postMessage({ kind: 'bad', index: i, ms, error: outside } satisfies FuzzMsg);
    } else if (e instanceof ObjectParseError || e instanceof BtfParseError) {
      parentPort!.postMessage({ kind: 'done', index: i, ms, outcome: e instanceof ObjectParseError ? 'ObjectParseError' : 'BtfParseError' } satisfies FuzzMsg);
    } else {
      parentPort!.postMessage({ kind: 'bad', index: i, ms, error: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies FuzzMsg);
    }
  }
}
