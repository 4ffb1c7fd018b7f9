// Our side of the conformance test: a corpus object loaded by BpfObject.load,
// seen through the same LoadedSide interface as libbpf's load.
import assert from 'node:assert/strict';
import { BpfObject } from '../../src/object/object.js';
import { SyscallError, VerifierError } from '../../src/errors.js';
import { mapInfoByFd } from '../../src/maps/map.js';
import { mapKey, type CompiledObject, type MapDef, type ProgDef } from './corpus.js';
import { testRunProgram, type LoadedSide } from './corpus-side.js';

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Our load of `obj`, by path (so the object name comes from the file name, as
 * with bpftool), pinning by-name maps in /sys/fs/bpf like libbpf's default.
 */
export function lockneLoad(obj: CompiledObject): LoadedSide {
  const o = BpfObject.load(obj.path, { pinDir: '/sys/fs/bpf' });
  const get = <T>(m: ReadonlyMap<string, T>, name: string, what: string): T => {
    const v = m.get(name);
    if (v === undefined) throw new Error(`lockne loaded no ${what} '${name}' (has ${[...m.keys()].join(', ')})`);
    return v;
  };
  return {
    label: 'lockne',
    programNames: () => [...o.programs.keys()].sort(),
    progDefs(): ProgDef[] {
      return [...o.programs].map(([name, p]): ProgDef => {
        const info = p.info();
        return { name, kernelName: info.name, type: info.typeName.toLowerCase(), hasBtf: info.btfId > 0 };
      }).sort(byName);
    },
    maps(): MapDef[] {
      return [...o.maps].map(([name, map]): MapDef => {
        const info = mapInfoByFd(map.fd);
        // Kernel names follow libbpf's convention: what follows the object prefix is the map's name.
        assert.equal(mapKey(info.name), name.slice(0, 15), `kernel name '${info.name}' of map '${name}'`);
        return {
          name, kernelName: info.name, id: info.id, type: info.typeName.toLowerCase(),
          keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries, flags: info.flags, hasBtf: info.btfId > 0,
        };
      }).sort(byName);
    },
    run: (run, input) => testRunProgram(get(o.programs, run.program, 'program'), run, input),
    program: (name) => get(o.programs, name, 'program'),
    map: (name) => get(o.maps, name, 'map'),
    close: () => o.close(),
  };
}

/**
 * Our loader must refuse `obj` with a SyscallError of BPF_PROG_LOAD carrying
 * `errno` and naming the program and its section; a refusal before
 * verification is a VerifierError whose log is empty and whose message says so.
 */
export function lockneRefusal(obj: CompiledObject, want: { errno: string; program: string; section: string; emptyLog: boolean }): void {
  assert.throws(() => BpfObject.load(obj.path).close(), (e: unknown) => {
    assert.ok(e instanceof SyscallError, `expected a SyscallError, got ${String(e)}`);
    assert.equal(e.syscall, 'BPF_PROG_LOAD');
    assert.equal(e.code, want.errno);
    assert.ok(e.message.startsWith(`BPF_PROG_LOAD failed: ${want.errno} (program '${want.program}' in section '${want.section}')`), e.message);
    if (want.emptyLog) {
      assert.ok(e instanceof VerifierError, `expected a VerifierError, got ${e.name}`);
      assert.equal(e.log, '');
      assert.match(e.message, /verifier log is empty/);
    }
    return true;
  });
}
