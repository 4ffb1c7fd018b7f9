// Creating an object's maps in libbpf's order and manner: a replacement map
// or a compatible pinned map (pinning byName) is reused; otherwise the map is
// created with the object's BTF key/value ids (again without them if the
// kernel refuses, noted), map-in-map outers with a template from their inner
// definition, global data maps with their initial contents written and
// .rodata/.kconfig frozen; then pinned when asked. Everything created is
// registered with the load's Undo.
import path from 'node:path';
import type { MapSpec } from '@lockne/obj';
import { BpfMap, mapFdById, mapInfoByFd } from '../maps/map.js';
import { createMapFd, type MapBtf } from '../maps/create.js';
import { bpfMapElem } from '../sys/syscall.js';
import { native } from '../sys/native.js';
import { MapType } from '../sys/consts.js';
import { Errno } from '../sys/errno.js';
import { SyscallError } from '../errors.js';
import { isOnBpffs, openPinnedFd, pin } from '../pin.js';
import { ObjectLoadError, PinMismatchError } from './errors.js';
import { NO_BTF_TYPES, kernelMapName, mapDef, mapMismatches, type MapDef } from './map-def.js';
import { mapCodecs } from './map-codecs.js';
import type { LoadContext } from './options.js';
import type { Undo } from './cleanup.js';

export const DEFAULT_PIN_DIR = '/sys/fs/bpf';

/** One of the object's maps and how it came to be. */
export interface ObjectMapEntry {
  spec: MapSpec;
  map: BpfMap<unknown, unknown>;
  /** 'created', or reused from a pin / from opts.mapReplacements (contents untouched). */
  origin: 'created' | 'pinned' | 'replacement';
  /** Where it is pinned (byName maps). */
  pinPath?: string;
}

const MAP_IN_MAP: ReadonlySet<number> = new Set([MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS]);

/** Create (or reuse) every map of the object. `images` hold global data contents to write. */
export function createMaps(ctx: LoadContext, images: ReadonlyMap<string, Uint8Array>, undo: Undo): Map<string, ObjectMapEntry> {
  const out = new Map<string, ObjectMapEntry>();
  const pinDir = ctx.opts.pinDir ?? DEFAULT_PIN_DIR;
  let pinDirChecked = false;
  for (const spec of ctx.spec.maps) {
    const def = mapDef(spec, ctx.objName);
    const codecs = mapCodecs(spec, ctx.codecs, ctx.notes);
    const wrap = (fd: number): BpfMap<unknown, unknown> => {
      try {
        return undo.track(new BpfMap<unknown, unknown>(fd, {
          type: def.type, name: spec.name, keySize: def.keySize, valueSize: def.valueSize,
          maxEntries: def.maxEntries, flags: def.flags, key: codecs.key, value: codecs.value,
        }));
      } catch (e) {
        native.close(fd);
        throw e;
      }
    };

    const replacement = ctx.opts.mapReplacements?.[spec.name];
    if (replacement) {
      const info = replacement.info();
      const bad = mapMismatches(def, info);
      if (bad.length) throw new ObjectLoadError(`map '${spec.name}'`, `replacement map (id ${info.id}) is incompatible: ${bad.join(', ')}`);
      // Our own fd for the same map: the caller keeps theirs.
      out.set(spec.name, { spec, map: wrap(mapFdById(info.id)), origin: 'replacement' });
      continue;
    }

    let pinPath: string | undefined;
    if (spec.pinning === 'byName') {
      if (!pinDirChecked) {
        if (!isOnBpffs(pinDir)) {
          throw new ObjectLoadError(`map '${spec.name}'`, `pin directory '${pinDir}' is not on a bpf filesystem (mount -t bpf bpf ${pinDir}, or ensureBpffs())`);
        }
        pinDirChecked = true;
      }
      pinPath = path.join(pinDir, spec.name);
      const reused = reusePinned(spec, def, pinPath);
      if (reused !== undefined) {
        out.set(spec.name, { spec, map: wrap(reused), origin: 'pinned', pinPath });
        continue;
      }
    }

    const map = wrap(createOne(ctx, spec, def));
    if (spec.data) populate(spec, map, images.get(spec.name) ?? spec.data.bytes);
    if (pinPath) {
      try {
        pin(map, pinPath);
      } catch (e) {
        throw new ObjectLoadError(`map '${spec.name}'`, `cannot pin at '${pinPath}': ${(e as Error).message}`, e);
      }
      undo.pinned(pinPath);
    }
    out.set(spec.name, { spec, map, origin: 'created', pinPath });
  }
  return out;
}

/** The fd of a compatible map pinned at `pinPath`, undefined when nothing is pinned there. */
function reusePinned(spec: MapSpec, def: MapDef, pinPath: string): number | undefined {
  let fd: number;
  try {
    fd = openPinnedFd(pinPath);
  } catch (e) {
    if (e instanceof SyscallError && e.errno === Errno.ENOENT) return undefined;
    throw new ObjectLoadError(`map '${spec.name}'`, `cannot open pinned map '${pinPath}': ${(e as Error).message}`, e);
  }
  try {
    const bad = mapMismatches(def, mapInfoByFd(fd));
    if (bad.length) throw new PinMismatchError(spec.name, pinPath, bad);
  } catch (e) {
    native.close(fd);
    throw e;
  }
  return fd;
}

/** BPF_MAP_CREATE for `spec`, with its inner template and BTF ids; retried without BTF like libbpf. */
function createOne(ctx: LoadContext, spec: MapSpec, def: MapDef): number {
  let inner: number | undefined;
  if (MAP_IN_MAP.has(def.type)) {
    if (!spec.inner) throw new ObjectLoadError(`map '${spec.name}'`, `${def.type === MapType.ARRAY_OF_MAPS ? 'ARRAY_OF_MAPS' : 'HASH_OF_MAPS'} needs an inner map definition (__array(values, struct {...}))`);
    const innerDef = mapDef(spec.inner, ctx.objName);
    innerDef.kernelName = kernelMapName(`${spec.name}.inner`, '');
    inner = createWithBtf(ctx, spec.inner, innerDef, undefined, `inner map of '${spec.name}'`);
  }
  try {
    return createWithBtf(ctx, spec, def, inner, `map '${spec.name}'`);
  } finally {
    // The outer map keeps what it needs from the template.
    if (inner !== undefined) native.close(inner);
  }
}

function createWithBtf(ctx: LoadContext, spec: MapSpec, def: MapDef, innerMapFd: number | undefined, what: string): number {
  const req = {
    type: def.type, keySize: def.keySize, valueSize: def.valueSize, maxEntries: def.maxEntries, flags: def.flags,
    name: def.kernelName, innerMapFd, numaNode: def.numaNode, mapExtra: def.mapExtra,
  };
  const wantBtf = ctx.btf && (spec.btfKeyTypeId || spec.btfValueTypeId) && !NO_BTF_TYPES.has(def.type);
  if (!wantBtf) return createMapFd(req);
  const btf: MapBtf = { fd: ctx.btf!.fd, keyTypeId: spec.btfKeyTypeId, valueTypeId: spec.btfValueTypeId };
  try {
    return createMapFd({ ...req, btf });
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    const fd = createMapFd(req);
    ctx.notes.push(`${what}: created without BTF key/value types (with them: ${e.code})`);
    return fd;
  }
}

/** Write a global data map's initial contents; freeze .rodata and .kconfig. */
function populate(spec: MapSpec, map: BpfMap<unknown, unknown>, image: Uint8Array): void {
  if (image.byteLength !== spec.valueSize) {
    throw new ObjectLoadError(`map '${spec.name}'`, `initial contents are ${image.byteLength} bytes, the value is ${spec.valueSize}`);
  }
  const ret = bpfMapElem('MAP_UPDATE_ELEM', map.fd, new Uint8Array(4), image, 0);
  if (ret < 0) throw new SyscallError('BPF_MAP_UPDATE_ELEM', -ret, `initial contents of map '${spec.name}'`);
  if (spec.data!.readOnly) map.freeze();
}
