// The parsers under mutation: a short run of the fuzzer behind `npm run fuzz`
// (fuzz/run.mjs; engine in ./fuzz/). BPF objects compiled from
// fuzz/corpus/*.bpf.c, their .BTF and .BTF.ext, vmlinux BTF and slices of it,
// split BTF and a host executable are mutated (bit flips, interesting values,
// truncation at boundaries, corrupted headers and section tables, splices,
// reference cycles, huge vlens...) and fed to BtfReader, ElfFile, parseObject
// and the .BTF.ext parser. Each must return something that reads back
// consistently, or throw its own typed error: any other exception, or a parse
// over 1 s, fails and leaves a reproducer under fuzz/crashes/.
//
// LOCKNE_FUZZ_SEED=<n> runs another seed; LOCKNE_FUZZ_CASES=<n> another count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BtfKind, BtfReader, BtfWriter, ElfFile, ElfParseError, ElfSymbolError, SectionType, SymbolType, parseObject } from '../src/index.js';
import {
  VMLINUX, buildCorpus, check, failureSignature, haveClang, readReproducer, roundTrip, runFuzz, writeReproducer,
  type Corpus, type FuzzReport, type TargetName,
} from './fuzz/index.js';

/** packages/obj/dist/test/<this file> -> the repository root. */
const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../../..');
const CRASHES = path.join(REPO, 'fuzz', 'crashes');
const SEED = Number(process.env.LOCKNE_FUZZ_SEED ?? 0x10c4e) >>> 0;
const CASES = Number(process.env.LOCKNE_FUZZ_CASES ?? 2500);
const clang = haveClang();
const vmlinux = existsSync(VMLINUX);

const work = mkdtempSync(path.join(tmpdir(), 'lockne-fuzz-'));
let corpus: Corpus;
try {
  corpus = buildCorpus({ ...(clang ? { sources: path.join(REPO, 'fuzz', 'corpus') } : {}), outDir: work, vmlinux: vmlinux ? VMLINUX : false, slices: 4, largeSlice: 600 });
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Fail with every failure's signature and the reproducer written for it. */
function assertNoFailures(report: FuzzReport): void {
  if (report.failureCount === 0) return;
  const lines = report.failures.slice(0, 10).map((f) => `${failureSignature(f)}\n    reproducer: ${writeReproducer(CRASHES, report.seed, f)}`);
  assert.fail(`${report.failureCount} of ${report.cases} fuzz cases failed (seed ${report.seed}):\n  ${lines.join('\n  ')}`);
}

test(`fuzz: ${CASES} mutated BTF blobs, ELF files and objects end in a typed error or a consistent result (seed ${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED} (LOCKNE_FUZZ_SEED=${SEED} replays it); clang ${clang ? 'yes' : 'no: no objects'}, vmlinux ${vmlinux ? 'yes' : 'no'}`);
  const weights: Partial<Record<TargetName, number>> = { 'btf': 30, 'btf-vmlinux': 0.25, 'btf-split': 10, 'elf': 20, 'object': 30, 'btf-ext': 10 };
  // Parses over 1 s fail; reading back all of vmlinux may take seconds on a busy machine, so only a true hang (15 s) does.
  const report = await runFuzz({ corpus, seed: SEED, cases: CASES, workers: 2, weights, killMs: 15_000 });
  for (const [name, s] of Object.entries(report.perTarget)) {
    t.diagnostic(`${name}: ${s.cases} cases, ${s.ok} ok, ${s.rejected} rejected, ${s.failed} failed, ${s.roundTripEqual} round trips, max ${s.maxMs.toFixed(0)} ms`);
  }
  assertNoFailures(report);
  assert.equal(report.cases, CASES);
  const expected: TargetName[] = ['btf', 'btf-split', 'elf', ...(clang ? ['object', 'btf-ext'] as const : []), ...(vmlinux ? ['btf-vmlinux'] as const : [])];
  for (const name of expected) {
    const s = report.perTarget[name];
    assert.ok(s && s.cases > 0, `no ${name} cases ran`);
    // The mutations must reach both sides: inputs that still parse, and inputs that are refused.
    if (name !== 'btf-vmlinux') assert.ok(s.ok > 0 && s.rejected > 0, `${name}: ${s.ok} ok, ${s.rejected} rejected`);
  }
  assert.ok((report.perTarget.btf?.roundTripEqual ?? 0) > CASES / 20, 'too few BTF round trips');
});

test('every unmutated corpus input parses, and kernel BTF round-trips through BtfWriter', (t) => {
  const runs: [TargetName, readonly { name: string; bytes: Uint8Array; base?: Uint8Array }[]][] = [
    ['btf', corpus.btf], ['btf-split', corpus.split], ['elf', corpus.elf], ['object', corpus.objects], ['btf-ext', corpus.ext],
  ];
  for (const [target, inputs] of runs) {
    for (const x of inputs) assert.equal(check(target, x).outcome, 'ok', `${target} ${x.name}`);
  }
  if (clang) assert.ok(corpus.objects.length >= 5 && corpus.ext.length >= 4, 'objects were not built');
  if (!corpus.vmlinux) return t.diagnostic('no /sys/kernel/btf/vmlinux: kernel BTF round trip not run');
  assert.equal(roundTrip(BtfReader.parse(corpus.vmlinux.bytes)), 'equal');
});

test('the harness catches a hang and a foreign exception, and writes reproducers that replay', async () => {
  const report = await runFuzz({ corpus, seed: 7, cases: 10, workers: 2, weights: { selftest: 1 }, hangMs: 100, killMs: 500 });
  const kinds = report.failures.map((f) => f.kind).sort();
  // Cases 1 and 6 hang, 2 and 7 throw a TypeError (see selfTest in fuzz/targets.ts).
  assert.deepEqual(report.failures.map((f) => f.index), [1, 2, 6, 7]);
  assert.deepEqual(kinds, ['exception', 'exception', 'hang', 'hang']);
  assert.equal(report.cases, 10);
  const dir = mkdtempSync(path.join(tmpdir(), 'lockne-fuzz-repro-'));
  try {
    const f = report.failures.find((x) => x.kind === 'exception')!;
    assert.match(f.error, /TypeError: selftest: deliberate exception/);
    const { meta, input } = readReproducer(writeReproducer(dir, 7, f));
    assert.equal(meta.index, f.index);
    assert.deepEqual(input.bytes, f.bytes);
    assert.throws(() => check(meta.target, input), /deliberate exception/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- what the fuzzer found (fixed in btf/reader.ts and elf/symbols.ts) ----

test('found by fuzzing: split BTF types named by a base string are found by name', () => {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  w.struct('shared', 4, [{ name: 'x', type: int, offset: 0 }]);
  const base = BtfReader.parse(w.encode());
  // One split STRUCT whose name_off points at the base's 'shared' (libbpf reuses base strings).
  const nameOff = [...Array(base.stringsLength).keys()].find((o) => base.string(o) === 'shared')!;
  const words = [nameOff, (BtfKind.STRUCT << 24) >>> 0, 0];
  const split = new Uint8Array(24 + 12);
  const v = new DataView(split.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(12, 12, true);
  v.setUint32(16, 12, true);
  words.forEach((x, i) => v.setUint32(24 + 4 * i, x, true));
  const btf = BtfReader.parse(split, { base });
  assert.equal(btf.name(3), 'shared');
  assert.deepEqual(btf.idsByName('shared'), [2, 3]);
});

test('found by fuzzing: skipModifiers reports long modifier loops and follows long chains', () => {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  // A 40-link chain of typedefs to int (past the 32 hops after which loops are tracked).
  let id = int;
  for (let i = 0; i < 40; i++) id = w.typedef(`t${i}`, id);
  // A 40-link loop: c0 -> c1 -> ... -> c39 -> c0.
  const first = w.count + 1;
  for (let i = 0; i < 40; i++) w.const(first + ((i + 1) % 40));
  const btf = BtfReader.parse(w.encode());
  assert.equal(btf.skipModifiers(id), int);
  assert.throws(() => btf.skipModifiers(first + 7), (e: unknown) => e instanceof TypeError && /modifier chain loops/.test(e.message));
});

test('found by fuzzing: a section name table without bytes in the file is an ElfParseError inside the file', { skip: !clang && 'clang not installed' }, () => {
  const obj = corpus.objects[0]!.bytes.slice();
  const v = new DataView(obj.buffer);
  const shoff = Number(v.getBigUint64(40, true));
  const shstrndx = v.getUint16(62, true);
  const h = shoff + 64 * shstrndx;
  v.setUint32(h + 4, 8, true); // SHT_NOBITS
  v.setBigUint64(h + 24, 1n << 40n, true); // offset far outside the file
  assert.throws(() => ElfFile.parse(obj), (e: unknown) => {
    assert.ok(e instanceof ElfParseError, String(e));
    assert.match(e.message, /section name table \d+ .* is not inside the file/);
    assert.ok(e.offset < obj.byteLength, `offset ${e.offset}`);
    return true;
  });
  assert.ok(parseObject(corpus.objects[0]!.bytes).programs.length > 0);
});

test('found by fuzzing: a function symbol placed outside the file has no function offset', { skip: !clang && 'clang not installed' }, () => {
  const obj = corpus.objects[0]!.bytes.slice();
  const elf = ElfFile.parse(obj);
  const fn = elf.symbols().find((x) => x.type === SymbolType.FUNC && x.shndx !== 0)!;
  assert.ok(elf.functionOffset(fn.name).offset < obj.byteLength);
  // Rewrite that symbol's st_value (its table entry is found by name offset and value).
  const symtab = elf.sections.find((x) => x.type === SectionType.SYMTAB)!;
  const v = new DataView(obj.buffer);
  let patched = 0;
  for (let o = symtab.offset; o < symtab.offset + symtab.size; o += 24) {
    if ((v.getUint8(o + 4) & 0xf) === SymbolType.FUNC && Number(v.getBigUint64(o + 8, true)) === fn.value && v.getUint16(o + 6, true) === fn.shndx) {
      v.setBigUint64(o + 8, BigInt(Number.MAX_SAFE_INTEGER), true);
      patched++;
    }
  }
  assert.ok(patched > 0);
  assert.throws(() => ElfFile.parse(obj).functionOffset(fn.name), (e: unknown) => e instanceof ElfSymbolError && /lies outside the file/.test(e.message));
});
