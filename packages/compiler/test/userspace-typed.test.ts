// Userspace typing: the same *.bpf.ts module (test/userspace/conn.bpf.ts) is
// compiled to eBPF and imported in Node; typed(obj, module) gives handles whose
// values are what the declarations say (u64 → bigint, struct → object, array →
// array, per-CPU → one value per CPU), checked against the loaded object, and
// tsc types them the same way (checked here by running tsc over fixtures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { BpfObject } from '@lockne/bpf';
import { ArrayMap, HashMap, LruHashMap, ntohs, u32, u64, xdp, XdpAction } from '@lockne/kernel';
import { compile, formatDiagnostic, typed, ModuleMismatchError } from '../src/index.js';
import * as conn from './userspace/conn.bpf.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const here = path.dirname(fileURLToPath(import.meta.url)); // …/packages/compiler/dist/test
const fixtures = path.resolve(here, '../../test/userspace');
const CONN_SRC = path.join(fixtures, 'conn.bpf.ts');

let objectCache: Uint8Array | undefined;
function connObject(): Uint8Array {
  if (objectCache) return objectCache;
  const r = compile(CONN_SRC);
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return (objectCache = r.object!);
}

test('typed(): program writes entries, userspace reads them back as bigints, objects and arrays', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(connObject(), { requireBtf: true });
  try {
    const m = typed(obj, conn);
    try {
      m.programs.track.testRun({ data: new Uint8Array(64), repeat: 3 });
      m.programs.track.testRun({ data: new Uint8Array(100) });

      // HashMap<u64, Conn>: bigint keys, Conn objects with the struct's field names.
      assert.deepEqual(m.maps.conns.get(64n), { packets: 3n, bytes: 192n, lastLen: 64, port: 0x3412, tag: [7, 8, 9] });
      assert.deepEqual(m.maps.conns.get(100n), { packets: 1n, bytes: 100n, lastLen: 100, port: 0x3412, tag: [7, 8, 9] });
      assert.equal(m.maps.conns.get(65n), undefined);
      // be16 reads as the program sees it (raw bits), so @lockne/kernel's ntohs gives the port in Node too.
      assert.equal(ntohs(m.maps.conns.get(64n)!.port), 0x1234);
      assert.deepEqual([...m.maps.conns.keys()].sort((a, b) => (a < b ? -1 : 1)), [64n, 100n]);

      // ArrayMap<u32>: number values by number index.
      assert.equal(m.maps.stats.get(0), 4);
      assert.equal(m.maps.stats.get(1), 100);

      // Declared without key/value layouts: the object's BTF codecs stand in, same JS types.
      assert.equal(m.maps.seen.get(64), 3n);
      assert.equal(m.maps.seen.get(100), 1n);

      // PerCpuArrayMap<u64>: one bigint per possible CPU, summing to the runs.
      const perCpu = m.maps.perCpuRuns.get(0)!;
      assert.ok(Array.isArray(perCpu) && perCpu.length >= 1);
      assert.equal(perCpu.reduce((a, b) => a + b, 0n), 4n);

      // Writes go through the declaration's codecs too: the program then reads and updates them.
      m.maps.conns.set(64n, { packets: 10n, bytes: 0n, lastLen: 0, port: 0, tag: [1, 2, 3] });
      m.programs.track.testRun({ data: new Uint8Array(64) });
      assert.deepEqual(m.maps.conns.get(64n), { packets: 11n, bytes: 64n, lastLen: 64, port: 0, tag: [1, 2, 3] });
      // ...and the object's own (BTF-typed) handle sees the same bytes.
      assert.equal(obj.map<bigint, { packets: bigint }>('conns').get(64n)?.packets, 11n);

      // Codec errors name the map and the field.
      assert.throws(() => m.maps.conns.set(1n, { packets: 1n, bytes: 1n, lastLen: -1, port: 0, tag: [0, 0, 0] }),
        (e: Error) => /conns/.test(e.message) && /lastLen/.test(e.message));
    } finally {
      m.close();
    }
  } finally {
    obj.close();
  }
});

test('typed(): a module that does not match the object is refused, naming the map or program', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(connObject(), { requireBtf: true });
  try {
    const refuse = (mod: object, re: RegExp, exportName: string): void => {
      assert.throws(() => typed(obj, mod), (e: unknown) => {
        assert.ok(e instanceof ModuleMismatchError, String(e));
        assert.match(e.message, re);
        assert.equal(e.exportName, exportName);
        return true;
      });
    };
    // Value layout of the wrong size (u32 where the object has struct conn, 32 bytes).
    refuse({ conns: new HashMap<u64, u32>({ maxEntries: 64, key: u64, value: u32 }) },
      /^map 'conns': value __u32 is 4 bytes, the object's map value is 32$/, "map 'conns'");
    // Key layout of the wrong size.
    refuse({ conns: new HashMap<u32, u64>({ maxEntries: 64, key: u32 }) },
      /^map 'conns': key __u32 is 4 bytes, the object's map key is 8$/, "map 'conns'");
    // Wrong map type.
    refuse({ conns: new LruHashMap<u64, u64>({ maxEntries: 64 }) }, /declared LRU_HASH, the object's map is HASH/, "map 'conns'");
    refuse({ stats: new HashMap<u32, u32>({ maxEntries: 4 }) }, /declared HASH, the object's map is ARRAY/, "map 'stats'");
    // Not in the object at all.
    refuse({ missing: new ArrayMap<u32>({ maxEntries: 1, value: u32 }) },
      /^map 'missing': declared in the module but not in the object \(object maps: .*conns.*\)$/, "map 'missing'");
    refuse({ drop: xdp(() => XdpAction.DROP) }, /^program 'drop': declared in the module but not in the object \(object programs: track\)$/, "program 'drop'");
    refuse({ track: xdp(() => XdpAction.DROP) }, /^program 'track': declared in section 'xdp', the object's is 'tc'$/, "program 'track'");
    // A failure after some handles opened closes them (checkFdLeaks would catch it).
    refuse({ stats: conn.stats, conns: new HashMap<u64, u32>({ maxEntries: 64, key: u64, value: u32 }) }, /value __u32/, "map 'conns'");
  } finally {
    obj.close();
  }
});

// ---- type level: run tsc over fixtures ----

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true, noEmit: true, skipLibCheck: true, types: ['node'], lib: ['lib.es2022.d.ts'],
};

/** tsc diagnostics of `file` (on disk, or given as `source`), as "line: TSxxxx message". */
function tscDiagnostics(file: string, source?: string): string[] {
  const host = ts.createCompilerHost(OPTIONS);
  if (source !== undefined) {
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => (path.resolve(name) === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  }
  const program = ts.createProgram([file], OPTIONS, host);
  const sf = program.getSourceFile(file)!;
  return ts.getPreEmitDiagnostics(program, sf).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]}`;
  });
}

test('types: typed(obj, module) gives exact handle types (tsc over test/userspace/types.ts)', () => {
  const file = path.join(fixtures, 'types.ts');
  assert.deepEqual(tscDiagnostics(file), []);
  // The assertions are not vacuous: claim number for the u64 map and tsc refuses.
  const wrong = ts.sys.readFile(file)!.replace('typeof t.maps.seen.get>, bigint | undefined', 'typeof t.maps.seen.get>, number | undefined');
  assert.notEqual(wrong, ts.sys.readFile(file));
  assert.match(tscDiagnostics(file, wrong).join('\n'), /TS2344 Type 'false' does not satisfy the constraint 'true'/);
});

test('types: wrong uses of the handles are tsc errors', () => {
  const file = path.join(fixtures, 'negative.ts'); // in memory only
  const source = `import type { BpfObject } from '@lockne/bpf';
import { typed } from '@lockne/compiler';
import * as conn from './conn.bpf.js';
export function misuse(obj: BpfObject): void {
  const t = typed(obj, conn);
  const a: number | undefined = t.maps.seen.get(1);
  t.maps.conns.get(1);
  t.maps.conns.set(1n, { packets: 1n });
  t.maps.stats.set(0, 1n);
  t.maps.nope.get(1);
  t.programs.conns.testRun({ data: new Uint8Array(64) });
  const ok: bigint | undefined = t.maps.seen.get(1);
  void a; void ok;
}
`;
  const d = tscDiagnostics(file, source);
  const lines = d.map((x) => Number(x.split(':')[0]));
  assert.deepEqual(lines, [6, 7, 8, 9, 10, 11], d.join('\n'));
  assert.match(d[0]!, /^6: TS2322 Type 'bigint \| undefined' is not assignable to type 'number \| undefined'/);
  assert.match(d[1]!, /^7: TS2345 Argument of type 'number' is not assignable to parameter of type 'bigint'/);
  assert.match(d[2]!, /^8: TS2345 Argument of type '{ packets: bigint; }' is not assignable to parameter of type '{ packets: bigint; bytes: bigint; lastLen: number; port: number; tag: number\[\]; }'/);
  assert.match(d[3]!, /^9: TS2345 Argument of type 'bigint' is not assignable to parameter of type 'number'/);
  assert.match(d[4]!, /^10: TS2339 Property 'nope' does not exist/);
  assert.match(d[5]!, /^11: TS2339 Property 'conns' does not exist/);
});
