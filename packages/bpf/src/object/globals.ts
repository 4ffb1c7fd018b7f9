// Global data of an object, before and after load. Before: the initial
// images of the data maps, with .kconfig filled in and the `rodata` option
// applied. After: one SectionVars per data map, over its mmap()ed value
// (read-only for frozen .rodata/.kconfig) or, when the map is not mmapable,
// over lookups and updates of its element 0.
import { ArgumentError, ClosedError, SyscallError } from '../errors.js';
import { MapFlags } from '../sys/consts.js';
import { bpfMapElem } from '../sys/syscall.js';
import { mmapFd, pageSize, unmap, PROT_READ, PROT_WRITE } from '../maps/mmap.js';
import { perCpuStride } from '../maps/codec-percpu.js';
import type { BpfMap } from '../maps/map.js';
import { fillKconfig } from './kconfig.js';
import { GlobalVars, SectionVars, bufferBacking, sectionVarInfos, type SectionBacking } from './vars.js';
import type { LoadContext } from './options.js';
import type { ObjectMapEntry } from './maps.js';
import type { Undo } from './cleanup.js';

/** Initial contents of every global data map (copies), kconfig filled, rodata option applied. */
export function prepareImages(ctx: LoadContext): Map<string, Uint8Array> {
  const images = new Map<string, Uint8Array>();
  for (const m of ctx.spec.maps) if (m.data) images.set(m.name, m.data.bytes.slice());
  const kconfig = ctx.spec.maps.find((m) => m.data?.section === '.kconfig');
  if (ctx.spec.externs.some((e) => e.kind === 'kconfig')) {
    if (!kconfig) throw new ArgumentError('the object has kconfig externs but no .kconfig map');
    fillKconfig(ctx.spec.externs, ctx.btfReader, images.get(kconfig.name)!, ctx.opts.kconfig);
  }
  const rodata = ctx.opts.rodata;
  if (rodata !== undefined) {
    const sections = new Map<string, SectionVars>();
    for (const m of ctx.spec.maps) {
      if (!m.data?.readOnly || m.data.section === '.kconfig') continue;
      const vars = sectionVarInfos(m, ctx.btfReader, ctx.codecs, ctx.notes);
      sections.set(m.data.section, new SectionVars(m.data.section, bufferBacking(images.get(m.name)!), vars, false));
    }
    const view = new GlobalVars(sections);
    if (typeof rodata === 'function') {
      rodata(view);
    } else {
      for (const [name, value] of Object.entries(rodata)) {
        try {
          view.set(name, value);
        } catch (e) {
          if (e instanceof ArgumentError) throw new ArgumentError(`option rodata: ${e.message}`);
          throw e;
        }
      }
    }
  }
  return images;
}

/** Live access to the data maps' variables; the mmaps are released by the returned `release`. */
export function openGlobals(ctx: LoadContext, maps: ReadonlyMap<string, ObjectMapEntry>, undo: Undo): { globals: GlobalVars; release: () => void } {
  const sections = new Map<string, SectionVars>();
  const mapped: ArrayBuffer[] = [];
  let released = false;
  const release = (): void => {
    released = true;
    for (const b of mapped.splice(0)) unmap(b);
  };
  // After close() the mmaps are gone and the maps closed: say so instead of reading garbage.
  const guard = (name: string, b: SectionBacking): SectionBacking => ({
    read: () => {
      if (released) throw new ClosedError(`global data section '${name}'`);
      return b.read();
    },
    write: (off, bytes) => {
      if (released) throw new ClosedError(`global data section '${name}'`);
      b.write(off, bytes);
    },
  });
  undo.onFailure(release);
  for (const { spec, map } of maps.values()) {
    if (!spec.data) continue;
    const readOnly = spec.data.readOnly;
    let backing: SectionBacking;
    if (map.flags & MapFlags.MMAPABLE) {
      const len = Math.ceil(perCpuStride(map.valueSize) / pageSize()) * pageSize();
      const buf = mmapFd(map.fd, len, readOnly ? PROT_READ : PROT_READ | PROT_WRITE, 0, `global data map '${spec.name}'`);
      mapped.push(buf);
      backing = bufferBacking(new Uint8Array(buf, 0, map.valueSize));
    } else {
      backing = syscallBacking(map);
    }
    const vars = sectionVarInfos(spec, ctx.btfReader, ctx.codecs, ctx.notes);
    sections.set(spec.data.section, new SectionVars(spec.data.section, guard(spec.data.section, backing), vars, readOnly));
  }
  return { globals: new GlobalVars(sections), release };
}

/** Element 0 of a non-mmapable data map, read and written by syscalls. */
function syscallBacking(map: BpfMap<unknown, unknown>): SectionBacking {
  const key = new Uint8Array(4);
  const read = (): Uint8Array => {
    const out = new Uint8Array(map.valueSize);
    const ret = bpfMapElem('MAP_LOOKUP_ELEM', map.fd, key, out, 0);
    if (ret < 0) throw new SyscallError('BPF_MAP_LOOKUP_ELEM', -ret, `global data map '${map.name}'`);
    return out;
  };
  return {
    read,
    write(offset, bytes) {
      const cur = read();
      cur.set(bytes, offset);
      const ret = bpfMapElem('MAP_UPDATE_ELEM', map.fd, key, cur, 0);
      if (ret < 0) throw new SyscallError('BPF_MAP_UPDATE_ELEM', -ret, `global data map '${map.name}'`);
    },
  };
}
