// The load sequence, in libbpf's order: read the object's BTF; resolve
// externs (kconfig values, ksyms); prepare global data images; fix up and
// load the BTF; create the maps; fill map-in-map slots; relocate, apply
// CO-RE to and load each program; fill prog array slots; map the global data.
// Everything created is tracked; any failure undoes all of it (fds closed,
// new pins removed) before the error propagates.
import { BtfReader, type ObjectSpec } from '@lockne/obj';
import type { Btf, BtfLoadError } from '../btf/btf.js';
import { bpfMapElem } from '../sys/syscall.js';
import { SyscallError } from '../errors.js';
import { ObjectLoadError } from './errors.js';
import { BtfCodecs } from './btf-codec.js';
import { Undo } from './cleanup.js';
import { loadObjectBtf } from './object-btf.js';
import { resolveKsyms } from './ksyms.js';
import { openGlobals, prepareImages } from './globals.js';
import { createMaps, type ObjectMapEntry } from './maps.js';
import { loadPrograms } from './programs.js';
import { coreContext } from './core.js';
import type { ObjectProgram } from './program.js';
import type { GlobalVars } from './vars.js';
import type { LoadContext, ObjectLoadOptions } from './options.js';

export interface LoadedParts {
  maps: Map<string, ObjectMapEntry>;
  programs: Map<string, ObjectProgram>;
  globals: GlobalVars;
  releaseGlobals: () => void;
  btf: Btf | undefined;
  btfError: BtfLoadError | undefined;
  notes: string[];
  /** Pins this load created. */
  pins: string[];
}

export function loadSpec(spec: ObjectSpec, opts: ObjectLoadOptions, objName: string): LoadedParts {
  const ctx: LoadContext = { spec, opts, objName, btfReader: undefined, btf: undefined, btfError: undefined, codecs: undefined, notes: [] };
  if (spec.btf) {
    try {
      ctx.btfReader = BtfReader.parse(spec.btf);
    } catch (e) {
      throw new ObjectLoadError('object BTF', (e as Error).message, e);
    }
    ctx.codecs = new BtfCodecs(ctx.btfReader);
  }
  const undo = new Undo();
  try {
    const ksyms = resolveKsyms(spec.externs, ctx.btfReader);
    const images = prepareImages(ctx);
    loadObjectBtf(ctx, undo);
    const maps = createMaps(ctx, images, undo);
    fillSlots(maps, (name) => maps.get(name)?.map.fd, 'map');
    const mapFd = (name: string): number => {
      const m = maps.get(name);
      if (!m) throw new ObjectLoadError(`map '${name}'`, 'is referenced by a program but not defined in the object');
      return m.map.fd;
    };
    const kconfigMap = spec.maps.find((m) => m.data?.section === '.kconfig')?.name;
    const programs = loadPrograms(ctx, { mapFd, kconfigMap, externs: spec.externs, ksyms }, coreContext(ctx), undo);
    fillSlots(maps, (name) => programs.get(name)?.fd, 'program', ctx.notes);
    const { globals, release } = openGlobals(ctx, maps, undo);
    const pins = [...undo.pins];
    undo.commit();
    return { maps, programs, globals, releaseGlobals: release, btf: ctx.btf, btfError: ctx.btfError, notes: ctx.notes, pins };
  } catch (e) {
    undo.rollback(e);
    throw e;
  }
}

/**
 * `.values = { [i] = &x }` of maps this load created: maps of maps get the
 * referenced maps, prog arrays the referenced programs (skipped, with a note,
 * when that program was not loaded).
 */
function fillSlots(maps: ReadonlyMap<string, ObjectMapEntry>, fdOf: (name: string) => number | undefined, kind: 'map' | 'program', notes?: string[]): void {
  for (const { spec, map, origin } of maps.values()) {
    if (origin !== 'created' || !spec.initialSlots) continue;
    for (const slot of spec.initialSlots) {
      if (slot.ref.kind !== kind) continue;
      const fd = fdOf(slot.ref.name);
      if (fd === undefined) {
        if (kind === 'program' && notes) {
          notes.push(`map '${spec.name}' slot ${slot.index}: program '${slot.ref.name}' was not loaded, slot left empty`);
          continue;
        }
        throw new ObjectLoadError(`map '${spec.name}'`, `slot ${slot.index} refers to ${kind} '${slot.ref.name}', which the object does not define`);
      }
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, slot.index, true);
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, fd, true);
      const ret = bpfMapElem('MAP_UPDATE_ELEM', map.fd, key, value, 0);
      if (ret < 0) throw new SyscallError('BPF_MAP_UPDATE_ELEM', -ret, `map '${spec.name}' slot ${slot.index} = ${kind} '${slot.ref.name}'`);
    }
  }
}
