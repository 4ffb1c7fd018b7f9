// Conformance: every program of test/corpus (C compiled by clang at test time)
// is loaded by libbpf (bpftool) and must give the results its manifest entry
// expects; then it is loaded by @lockne/bpf and both loads must agree: same
// programs, same test-run results (retval, data out, ctx) on the same input,
// same behaviour when attached, same map definitions, same refusals.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureBpffs } from '../src/pin.js';
import { CORPUS, type CorpusEntry } from './corpus/manifest.js';
import { packet } from './corpus/packet.js';
import {
  BpftoolError, PIN_MAP_NAME, cleanupCorpus, compileAll, compileEntry, coreReloKinds, corpusEnv, corpusToolsMissing,
  elfRelocations, libbpfLoad, removeStaleCorpusFiles, type CompiledObject, type MapDef,
} from './support/corpus.js';
import { expected, expectedObservation, libbpfSide, observe, runInput, type LoadedSide } from './support/corpus-side.js';
import { lockneLoad, lockneRefusal } from './support/corpus-lockne.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const missing = needRoot() ?? corpusToolsMissing();
if (!missing) {
  ensureBpffs();
  removeStaleCorpusFiles();
  void compileAll(CORPUS).catch(() => undefined); // start all compiles now; each test awaits its own
}
after(cleanupCorpus);

const byNamePins = (e: CorpusEntry): string[] => (e.pinByName ? [`/sys/fs/bpf/${PIN_MAP_NAME}`] : []);

function loadLibbpf(e: CorpusEntry, obj: CompiledObject): LoadedSide {
  return libbpfSide(libbpfLoad(obj, { pinMaps: !e.pinByName, byNamePins: byNamePins(e) }));
}

/** The manifest's map names, with '<pin>' standing for the by-name pinned map. */
const manifestMaps = (e: CorpusEntry): string[] => e.maps.map((m) => (m === '<pin>' ? PIN_MAP_NAME : m)).sort();

/** Everything a map comparison looks at (ids differ between loads). */
const mapShape = (m: MapDef): Omit<MapDef, 'id'> => ({
  name: m.name, kernelName: m.kernelName, type: m.type, keySize: m.keySize, valueSize: m.valueSize,
  maxEntries: m.maxEntries, flags: m.flags, hasBtf: m.hasBtf,
});

/** Run every test-run and behaviour of `e` on `side`, asserting the manifest's expectations. */
function checkExpectations(e: CorpusEntry, obj: CompiledObject, side: LoadedSide): void {
  const env = corpusEnv(obj);
  assert.deepEqual(side.programNames(), e.programs, `${side.label}: programs of ${e.name}`);
  assert.deepEqual(side.maps().map((m) => m.name), manifestMaps(e), `${side.label}: maps of ${e.name}`);
  for (const [i, r] of (e.runs ?? []).entries()) {
    const input = runInput(r);
    const got = side.run(r, input);
    const what = `${side.label}: ${e.name} run ${i} (${r.program})`;
    assert.equal(got.retval, expected(r.retval, env) >>> 0, `${what}: retval`);
    if (input) assert.deepEqual(got.data, r.dataOut ? expected(r.dataOut, env) : input, `${what}: data out`);
    if (r.ctxOut) assert.deepEqual(got.ctx, expected(r.ctxOut, env), `${what}: ctx out`);
  }
  if (e.behaviour) {
    assert.deepEqual(observe(side, e.behaviour), expectedObservation(e, e.behaviour, env), `${side.label}: ${e.name} behaviour`);
  }
}

test('the corpus has at least 25 programs and covers every relocation kind', async (t) => {
  if (skipUnless(t, missing)) return;
  assert.ok(CORPUS.length >= 25, `${CORPUS.length} corpus programs`);
  const objs = await compileAll(CORPUS);
  const kinds = new Set(objs.flatMap((o) => coreReloKinds(o.bytes)));
  assert.deepEqual([...kinds].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'CO-RE relocation kinds');
  const relos = objs.flatMap((o) => elfRelocations(o.bytes));
  const code = (name: string): boolean => !name.startsWith('.');
  const R_BPF_64_64 = 1, R_BPF_64_ABS64 = 2, R_BPF_64_ABS32 = 3, R_BPF_64_NODYLD32 = 4, R_BPF_64_32 = 10, STT_SECTION = 3;
  const has = (pred: (r: (typeof relos)[number]) => boolean, what: string): void => assert.ok(relos.some(pred), what);
  has((r) => code(r.target) && r.type === R_BPF_64_64 && r.symbolType !== STT_SECTION, 'R_BPF_64_64 against a map or variable symbol');
  for (const sec of ['.data', '.rodata', '.bss']) {
    has((r) => code(r.target) && r.type === R_BPF_64_64 && r.symbolType === STT_SECTION && r.symbolSection === sec && r.imm > 0,
      `R_BPF_64_64 against section ${sec} with an addend`);
  }
  has((r) => code(r.target) && r.type === R_BPF_64_32, 'R_BPF_64_32 (bpf-to-bpf call)');
  has((r) => r.target === '.maps' && r.type === R_BPF_64_ABS64, 'R_BPF_64_ABS64 in .maps (initial slots)');
  has((r) => r.target.startsWith('.debug') && r.type === R_BPF_64_ABS32, 'R_BPF_64_ABS32 (debug sections)');
  has((r) => r.target === '.BTF.ext' && r.type === R_BPF_64_NODYLD32, 'R_BPF_64_NODYLD32 in .BTF.ext');
});

for (const e of CORPUS) {
  test(`libbpf runs the corpus: ${e.name}`, async (t) => {
    if (skipUnless(t, missing)) return;
    const obj = await compileEntry(e);
    if (e.refused || e.libbpfRefuses) {
      const want = e.refused?.libbpf ?? e.libbpfRefuses!;
      assert.throws(() => loadLibbpf(e, obj), (err: unknown) => err instanceof BpftoolError && want.test(err.stderr));
      return;
    }
    const side = loadLibbpf(e, obj);
    try {
      checkExpectations(e, obj, side);
      if (e.pinByName) {
        // A second libbpf load reuses the pinned map: its counter continues.
        // (no byNamePins: the first load's close() removes the pin)
        const again = libbpfSide(libbpfLoad(obj, { pinMaps: false }));
        try {
          assert.equal(again.maps()[0]?.id, side.maps()[0]?.id, 'second load reuses the pinned map');
          assert.equal(again.run({ program: 'pin_by_name', retval: 2 }, packet()).retval, 2);
        } finally {
          again.close();
        }
      }
    } finally {
      side.close();
    }
  });
}

for (const e of CORPUS) {
  test(`libbpf and lockne agree: ${e.name}`, async (t) => {
    if (skipUnless(t, missing)) return;
    const obj = await compileEntry(e);
    if (e.refused) {
      assert.throws(() => loadLibbpf(e, obj), BpftoolError);
      lockneRefusal(obj, { ...e.refused, program: e.programs[0]! });
      return;
    }
    if (e.libbpfRefuses) {
      // libbpf 1.x no longer loads this object; ours must, with the manifest's results.
      assert.throws(() => loadLibbpf(e, obj), (err: unknown) => err instanceof BpftoolError && e.libbpfRefuses!.test(err.stderr));
      const ours = lockneLoad(obj);
      try {
        checkExpectations(e, obj, ours);
      } finally {
        ours.close();
      }
      return;
    }
    const theirs = loadLibbpf(e, obj);
    try {
      const ours = lockneLoad(obj);
      try {
        assert.deepEqual(ours.progDefs(), theirs.progDefs(), 'programs (names, kernel names, types, BTF)');
        assert.deepEqual(ours.maps().map(mapShape), theirs.maps().map(mapShape), 'map definitions');
        if (e.pinByName) {
          // Our load pins by name in the same directory as libbpf: it must reuse libbpf's map.
          assert.equal(ours.maps()[0]?.id, theirs.maps()[0]?.id, 'our load reuses the map libbpf pinned by name');
        }
        const env = corpusEnv(obj);
        for (const [i, r] of (e.runs ?? []).entries()) {
          const input = runInput(r);
          const a = theirs.run(r, input);
          const b = ours.run(r, input);
          const what = `${e.name} run ${i} (${r.program})`;
          if (e.pinByName) {
            // Shared map: ours continues libbpf's counter.
            assert.equal(b.retval, a.retval + 1, `${what}: retval continues the shared counter`);
            continue;
          }
          assert.equal(b.retval, a.retval, `${what}: retval`);
          assert.deepEqual(b.data, a.data, `${what}: data out`);
          assert.deepEqual(b.ctx, a.ctx, `${what}: ctx`);
          // ... and both are what the manifest expects (so agreeing on a wrong answer fails too).
          assert.equal(b.retval, expected(r.retval, env) >>> 0, `${what}: expected retval`);
          if (input) assert.deepEqual(b.data, r.dataOut ? expected(r.dataOut, env) : input, `${what}: expected data out`);
          if (r.ctxOut) assert.deepEqual(b.ctx, expected(r.ctxOut, env), `${what}: expected ctx out`);
        }
        if (e.behaviour) {
          const want = expectedObservation(e, e.behaviour, env);
          assert.deepEqual(observe(theirs, e.behaviour), want, 'libbpf behaviour');
          assert.deepEqual(observe(ours, e.behaviour), want, 'lockne behaviour');
        }
      } finally {
        ours.close();
      }
    } finally {
      theirs.close();
    }
  });
}
