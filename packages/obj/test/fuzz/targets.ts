// What each fuzz target runs on a (mutated) input, and the properties it
// checks. A target returns 'ok' (parsed, and everything it exposes read back
// consistently) or 'rejected' (threw its own typed error, whose offset lies in
// the input). Anything else thrown -- a TypeError, a RangeError, a stack
// overflow, a PropertyViolation from the checks below -- is a failure.
import { isDeepStrictEqual } from 'node:util';
import {
  BtfParseError, BtfReader, ElfFile, ElfParseError, ElfSymbolError, ObjectParseError, SectionType, SymbolType, parseObject, type BtfType,
} from '../../src/index.js';
import { parseBtfExt } from '../../src/object/btf-ext.js';
import { checkSpec } from './spec-check.js';
import { Unrepresentable, reencodeAll, refsOf } from './btf-reencode.js';

/** 'selftest' checks the harness itself: it fails on purpose (see selfTest below). */
export type TargetName = 'btf' | 'btf-vmlinux' | 'btf-split' | 'elf' | 'object' | 'btf-ext' | 'selftest';

export const TARGETS: readonly TargetName[] = ['btf', 'btf-vmlinux', 'btf-split', 'elf', 'object', 'btf-ext', 'selftest'];

export interface CaseInput {
  bytes: Uint8Array;
  /** Base BTF for btf-split. */
  base?: Uint8Array;
  /** The case's index (the selftest target decides by it). */
  index?: number;
  /** Only read types firstId+from .. firstId+to (large blobs); all when absent. */
  window?: readonly [number, number];
}

export interface CheckResult {
  outcome: 'ok' | 'rejected';
  /** BTF: parse -> BtfWriter -> parse gave equal types ('equal'), or could not be tried. */
  roundTrip?: 'equal' | 'unrepresentable' | 'skipped';
  /** The typed error's offset lay outside the input (object parser: noted for its owner, not a failure). */
  offsetOutside?: boolean;
  /** The typed error of a rejected object / .BTF.ext case whose offset lay outside the input. */
  rejection?: string;
  /** Time spent in the parser itself (the rest is the read-back checks): the hang limit applies to it. */
  parseMs?: number;
}

let parseMs = 0;

/** Run one parser call, adding its time to parseMs. */
function parsing<T>(f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    parseMs += performance.now() - t0;
  }
}

/** A property the parser's result broke (as opposed to an exception it let escape). */
export class PropertyViolation extends Error {
  override name = 'PropertyViolation';
}

function violated(cond: boolean, msg: () => string): void {
  if (!cond) throw new PropertyViolation(msg());
}

function offsetInside(e: BtfParseError | ElfParseError | ObjectParseError, len: number): boolean {
  return Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= Math.max(0, len - 1);
}

/** A typed parse error must point inside the input. */
function checkErrorOffset(e: BtfParseError | ElfParseError | ObjectParseError, len: number): void {
  violated(offsetInside(e, len), () => `${e.name} offset ${e.offset} outside the ${len}-byte input: ${e.message}`);
}

const MODIFIERS = new Set(['TYPEDEF', 'CONST', 'VOLATILE', 'RESTRICT', 'TYPE_TAG']);
/** Blobs with more types than this are not round-tripped per case (vmlinux takes ~1 s). */
const ROUND_TRIP_MAX = 5000;
/** Name lookups per case (each scans the string section). */
const NAME_LOOKUPS = 64;

const baseCache = new WeakMap<Uint8Array, BtfReader>();

function baseOf(bytes: Uint8Array): BtfReader {
  let b = baseCache.get(bytes);
  if (!b) {
    b = BtfReader.parse(bytes);
    baseCache.set(bytes, b);
  }
  return b;
}

/** BtfReader: BtfParseError, or a reader whose every type, name and reference reads back. */
export function checkBtf(input: CaseInput): CheckResult {
  const base = input.base ? baseOf(input.base) : undefined;
  let btf: BtfReader;
  try {
    btf = parsing(() => BtfReader.parse(input.bytes, base ? { base } : {}));
  } catch (e) {
    if (!(e instanceof BtfParseError)) throw e;
    checkErrorOffset(e, input.bytes.byteLength);
    return { outcome: 'rejected' };
  }
  violated(btf.firstId === (base ? base.lastId + 1 : 1), () => `firstId ${btf.firstId} with base lastId ${base?.lastId}`);
  violated(btf.lastId === btf.firstId + btf.count - 1, () => `lastId ${btf.lastId} != firstId ${btf.firstId} + count ${btf.count} - 1`);
  const from = btf.firstId + (input.window ? Math.min(input.window[0], btf.count) : 0);
  const to = input.window ? Math.min(btf.lastId, btf.firstId + input.window[1]) : btf.lastId;
  const named: BtfType[] = [];
  for (let id = from; id <= to; id++) {
    const t = btf.type(id);
    violated(t.id === id && t.kind === btf.kind(id) && t.name === btf.name(id), () => `type ${id} decodes as ${t.id} ${t.kind} '${t.name}', kind() ${btf.kind(id)}, name() '${btf.name(id)}'`);
    for (const ref of refsOf(t)) violated(Number.isInteger(ref) && ref >= 0 && ref <= btf.lastId, () => `type ${id} (${t.kind}) refers to ${ref}, last id ${btf.lastId}`);
    if (t.kind === 'STRUCT' || t.kind === 'UNION') for (const m of t.members) violated(typeof m.name === 'string', () => `member of ${id} has no name`);
    if (MODIFIERS.has(t.kind)) {
      try {
        const u = btf.skipModifiers(id);
        violated(u === 0 || !MODIFIERS.has(btf.kind(u)), () => `skipModifiers(${id}) stopped at modifier ${u}`);
      } catch (e) {
        // A modifier loop is reported, not followed forever.
        if (!(e instanceof TypeError && /loops/.test(e.message))) throw e;
      }
    }
    // Bytes that are not UTF-8 decode to U+FFFD and cannot be searched for.
    if (t.name !== '' && !t.name.includes('\ufffd')) named.push(t);
  }
  const step = Math.max(1, Math.floor(named.length / NAME_LOOKUPS));
  for (let i = 0; i < named.length; i += step) {
    const t = named[i]!;
    const ids = btf.idsByName(t.name);
    violated(ids.includes(t.id), () => `type ${t.id} (${t.kind} '${t.name}') not found by its name: idsByName gives [${ids.slice(0, 8).join(', ')}]`);
    violated(btf.findId(t.name, t.kind) !== undefined, () => `findId('${t.name}', ${t.kind}) found nothing`);
  }
  return { outcome: 'ok', roundTrip: base || btf.count > ROUND_TRIP_MAX ? 'skipped' : roundTrip(btf) };
}

/** Re-encode every type with BtfWriter and parse again: the types must be equal. */
export function roundTrip(btf: BtfReader): 'equal' | 'unrepresentable' {
  let again: Uint8Array;
  try {
    again = reencodeAll(btf);
  } catch (e) {
    if (e instanceof Unrepresentable) return 'unrepresentable';
    throw e;
  }
  const back = BtfReader.parse(again);
  violated(back.count === btf.count, () => `round trip: ${btf.count} types became ${back.count}`);
  for (let id = 1; id <= btf.lastId; id++) {
    const a = btf.type(id);
    const b = back.type(id);
    violated(isDeepStrictEqual(a, b), () => `round trip: type ${id} ${JSON.stringify(a, big)} came back as ${JSON.stringify(b, big)}`);
  }
  return 'equal';
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

/** ElfFile: ElfParseError, or sections inside the file whose symbols and function offsets read back. */
export function checkElf(input: CaseInput): CheckResult {
  const len = input.bytes.byteLength;
  let elf: ElfFile;
  try {
    elf = parsing(() => ElfFile.parse(input.bytes));
  } catch (e) {
    if (!(e instanceof ElfParseError)) throw e;
    checkErrorOffset(e, len);
    return { outcome: 'rejected' };
  }
  for (const s of elf.sections) {
    if (s.type === SectionType.NOBITS || s.type === SectionType.NULL) continue;
    violated(s.offset + s.size <= len, () => `section ${s.index} '${s.name}' (${s.offset}+${s.size}) past the end (${len})`);
  }
  let funcs: string[];
  try {
    funcs = parsing(() => elf.symbols()).filter((s) => s.type === SymbolType.FUNC).map((s) => s.name);
  } catch (e) {
    // Symbols are read lazily: a bad symbol table is found here.
    if (!(e instanceof ElfParseError)) throw e;
    checkErrorOffset(e, len);
    return { outcome: 'rejected' };
  }
  for (const name of funcs.slice(0, 16)) {
    try {
      const f = elf.functionOffset(name);
      violated(Number.isSafeInteger(f.offset), () => `functionOffset('${name}') = ${f.offset}`);
    } catch (e) {
      if (!(e instanceof ElfSymbolError || e instanceof ElfParseError)) throw e;
    }
  }
  return { outcome: 'ok' };
}

/**
 * parseObject: ObjectParseError (or the BtfParseError / ElfParseError of a
 * part), or an ObjectSpec that holds together (see spec-check.ts) and comes
 * out the same when parsed again.
 */
export function checkObject(input: CaseInput): CheckResult {
  let spec;
  try {
    spec = parsing(() => parseObject(input.bytes));
  } catch (e) {
    if (!(e instanceof ObjectParseError || e instanceof BtfParseError || e instanceof ElfParseError)) throw e;
    // Offsets are relative to a section (or the .BTF blob), which lies inside the file.
    return rejectedObject(e, input.bytes.byteLength);
  }
  const problem = checkSpec(spec);
  violated(problem === null, () => `ObjectSpec: ${problem}`);
  violated(isDeepStrictEqual(parseObject(input.bytes), spec), () => 'parsing the same bytes twice gave different ObjectSpecs');
  return { outcome: 'ok' };
}

/** The .BTF.ext parser: ObjectParseError, or records that are all u32 fields, no more of them than the bytes can hold. */
export function checkBtfExt(input: CaseInput): CheckResult {
  let ext;
  try {
    ext = parsing(() => parseBtfExt(input.bytes));
  } catch (e) {
    if (!(e instanceof ObjectParseError)) throw e;
    return rejectedObject(e, input.bytes.byteLength);
  }
  let records = 0;
  for (const group of [ext.funcInfo, ext.lineInfo, ext.coreRelos]) {
    for (const sec of group) {
      violated(isU32(sec.nameOff), () => `section name offset ${sec.nameOff}`);
      for (const rec of sec.records as readonly object[]) {
        records++;
        for (const [k, v] of Object.entries(rec)) violated(isU32(v), () => `record field ${k} = ${String(v)}`);
      }
    }
  }
  violated(records * 8 <= input.bytes.byteLength, () => `${records} records from ${input.bytes.byteLength} bytes`);
  return { outcome: 'ok' };
}

/** The object parser's offsets outside the input are noted (with the error), not failed. */
function rejectedObject(e: BtfParseError | ElfParseError | ObjectParseError, len: number): CheckResult {
  violated(Number.isInteger(e.offset) && e.offset >= 0, () => `${e.name} offset ${e.offset}: ${e.message}`);
  return offsetInside(e, len) ? { outcome: 'rejected' } : { outcome: 'rejected', offsetOutside: true, rejection: `${e.name}: ${e.message}` };
}

function isU32(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

export function check(target: TargetName, input: CaseInput): CheckResult {
  parseMs = 0;
  const r = checkTarget(target, input);
  return { ...r, parseMs };
}

function checkTarget(target: TargetName, input: CaseInput): CheckResult {
  switch (target) {
    case 'btf': case 'btf-vmlinux': case 'btf-split': return checkBtf(input);
    case 'elf': return checkElf(input);
    case 'object': return checkObject(input);
    case 'btf-ext': return checkBtfExt(input);
    case 'selftest': return selfTest(input);
  }
}

/**
 * For testing the harness: by case index, hangs (mod 5 = 1), throws a
 * TypeError (mod 5 = 2), or passes at once. Never weighted by default.
 */
function selfTest(input: CaseInput): CheckResult {
  const k = (input.index ?? 0) % 5;
  if (k === 1) for (;;) { /* hang */ }
  if (k === 2) throw new TypeError('selftest: deliberate exception');
  return { outcome: 'ok' };
}
