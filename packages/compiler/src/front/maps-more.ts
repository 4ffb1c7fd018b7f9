// Declarations of the map types beyond hash/array/ring buffer (issue #4): the
// keyless QueueMap / StackMap / BloomFilter, the XDP redirect maps (DevMap,
// DevMapHash, CpuMap, XskMap), maps of maps with an inner template, socket
// maps, per-attachment cgroup storage, CgroupArray, StackTrace, UserRingBuf
// and Arena. `new X(...)` becomes a MapRef (className = X); the ELF side is
// object/maps-more.ts, the kernel-side methods front/maps-more-calls.ts.
//
// A map of maps' value is a marker layout (innerMapLayout) standing for "an
// inner map like this template": `outer.lookup(k)` returns a nullable pointer
// to it, and the template's own methods called on that pointer go through the
// pointer (R1 = the inner map) instead of an LD_IMM64 of a declared map.
//
// @example
// export const jobs = new QueueMap<u32>({ maxEntries: 64, value: u32 });
// export const tables = new ArrayOfMaps({ maxEntries: 4, inner: new HashMap<u32, u64>({ maxEntries: 16, key: u32, value: u64 }) });
import ts from 'typescript';
import type { MapRef } from '../ir/ir.js';
import { INT, layoutSize, type Layout, type StructTy } from '../ir/types.js';
import { constExpr } from './constants.js';
import { layoutOfExpr, layoutOfTypeNode } from './layout.js';
import { kernelSymbol } from './kernel.js';
import type { ModuleInfo } from './lower.js';

/** How each class is laid out in `.maps` (object/maps-more.ts reads it). */
export type MoreMapShape = 'valueOnly' | 'btf' | 'none' | 'inner';

/** The classes this file declares, with their BPF_MAP_TYPE_* and ELF shape. */
export const MORE_MAPS: Readonly<Record<string, { readonly type: number; readonly shape: MoreMapShape }>> = {
  QueueMap: { type: 22, shape: 'valueOnly' },
  StackMap: { type: 23, shape: 'valueOnly' },
  BloomFilter: { type: 30, shape: 'valueOnly' },
  DevMap: { type: 14, shape: 'btf' },
  DevMapHash: { type: 25, shape: 'btf' },
  CpuMap: { type: 16, shape: 'btf' },
  XskMap: { type: 17, shape: 'btf' },
  SockMap: { type: 15, shape: 'btf' },
  SockHash: { type: 18, shape: 'btf' },
  CgroupArray: { type: 8, shape: 'btf' },
  CgroupStorage: { type: 19, shape: 'btf' },
  PerCpuCgroupStorage: { type: 21, shape: 'btf' },
  StackTrace: { type: 7, shape: 'btf' },
  ArrayOfMaps: { type: 12, shape: 'inner' },
  HashOfMaps: { type: 13, shape: 'inner' },
  UserRingBuf: { type: 31, shape: 'none' },
  Arena: { type: 33, shape: 'none' },
};

export function isMoreMap(className: string | undefined): boolean {
  return className !== undefined && Object.prototype.hasOwnProperty.call(MORE_MAPS, className);
}

/** struct bpf_cgroup_storage_key { __u64 cgroup_inode_id; __u32 attach_type; } (16 bytes). */
const CGROUP_STORAGE_KEY: StructTy = {
  kind: 'struct', name: 'bpf_cgroup_storage_key', size: 16, align: 8,
  fields: [{ name: 'cgroup_inode_id', off: 0, ty: INT.u64 }, { name: 'attach_type', off: 8, ty: INT.u32 }],
};

/** Marker layouts of maps of maps → their inner template. */
const INNER = new WeakMap<Layout, MapRef>();

/** The marker value layout of a map of maps whose slots hold maps like `inner` (4 bytes: an fd/id slot). */
function innerMapLayout(inner: MapRef): StructTy {
  const l: StructTy = { kind: 'struct', name: `map<${inner.className ?? inner.kind}>`, size: 4, align: 4, fields: [] };
  INNER.set(l, inner);
  return l;
}

/** The inner template a pointee layout stands for (a map of maps' lookup result), or undefined. */
export function innerMapOf(l: Layout | undefined): MapRef | undefined {
  return l ? INNER.get(l) : undefined;
}

type Report = (code: 'LK3010' | 'LK4005' | 'LK6001', msg: string, n: ts.Node) => void;

/** The property `field` of the options object literal, when written. */
function option(e: ts.NewExpression, field: string): ts.Expression | undefined {
  const o = e.arguments?.[0];
  if (!o || !ts.isObjectLiteralExpression(o)) return undefined;
  const p = o.properties.find((x): x is ts.PropertyAssignment => ts.isPropertyAssignment(x) && ts.isIdentifier(x.name) && x.name.text === field);
  return p?.initializer;
}

/** A compile-time u32 option; `dflt` when absent (undefined: required). */
function constOption(info: ModuleInfo, e: ts.NewExpression, field: string, dflt: number | undefined, report: Report, at: ts.Node): number | undefined {
  const x = option(e, field);
  if (!x) {
    if (dflt === undefined) report('LK4005', `map options need ${field}`, at);
    return dflt;
  }
  const c = constExpr(info, x);
  if (c && c.value >= 0n && c.value <= 0xffffffffn) return Number(c.value);
  report('LK4005', c ? `${field} ${c.value} is outside 0..4294967295` : `${field} must be a compile-time constant`, x);
  return undefined;
}

/**
 * `new <Class>(...)` for a class of MORE_MAPS. `declareInner` declares a map of
 * maps' `inner:` template the way module.ts declares any map.
 */
export function declareMoreMap(
  info: ModuleInfo, name: string, cls: string, e: ts.NewExpression, at: ts.Node,
  declareInner: (inner: ts.NewExpression, innerName: string) => MapRef | undefined,
): MapRef | undefined {
  let bad = false;
  const report: Report = (code, msg, n) => {
    bad = true;
    const { line, character } = info.sf.getLineAndCharacterOfPosition(n.getStart(info.sf));
    info.diags.report(code, `${cls} '${name}': ${msg}`, { file: info.file, line: line + 1, column: character + 1, text: '' });
  };
  const targs = e.typeArguments ?? [];
  const layoutArg = (n: number, field: string): Layout | undefined => {
    const t = targs[n];
    const fromType = t ? layoutOfTypeNode(info.checker, t) : undefined;
    if (fromType) return fromType;
    const x = option(e, field);
    return x ? layoutOfExpr(info.checker, x) : undefined;
  };
  const ref = (kind: MapRef['kind'], key: Layout, value: Layout, maxEntries: number | undefined, flags = 0): MapRef | undefined =>
    bad || maxEntries === undefined ? undefined : { name, kind, key, value, maxEntries, className: cls, ...(flags ? { flags } : {}) };
  const maxEntries = (): number | undefined => constOption(info, e, 'maxEntries', undefined, report, at);
  const flags = (): number => constOption(info, e, 'flags', 0, report, at) ?? 0;

  switch (cls) {
    case 'QueueMap': case 'StackMap': case 'BloomFilter': {
      const value = layoutArg(0, 'value');
      if (!value) { report('LK3010', 'the value must be an integer width or a struct()/array() layout', at); return undefined; }
      let hashes = 0;
      if (cls === 'BloomFilter') {
        // `hashes` (1..15; 0 or absent: the kernel's 5) goes into map_extra.
        const h = option(e, 'hashes');
        const c = h && constExpr(info, h);
        if (h && (!c || c.value < 0n || c.value > 15n)) report('LK4005', 'hashes must be a constant 0..15 (0: the kernel default, 5)', h);
        else if (c) hashes = Number(c.value);
      }
      // No key: a u8 placeholder keeps MapRef's shape (the ELF writer omits it).
      const r = ref('hash', INT.u8, value, maxEntries(), flags());
      return r && hashes ? { ...r, mapExtra: hashes } : r;
    }
    case 'DevMap': case 'CpuMap': case 'DevMapHash': {
      const hashed = cls === 'DevMapHash';
      const key = hashed ? layoutArg(0, 'key') ?? INT.u32 : INT.u32;
      const value = layoutArg(hashed ? 1 : 0, 'value') ?? INT.u32;
      if (layoutSize(key) !== 4) report('LK3010', `the key must be 4 bytes (a u32 slot or ifindex), not ${key.name}`, at);
      if (layoutSize(value) !== 4 && layoutSize(value) !== 8) report('LK3010', `the value must be 4 bytes (u32) or 8 (struct bpf_${cls === 'CpuMap' ? 'cpumap' : 'devmap'}_val), not ${value.name}`, at);
      return ref(hashed ? 'hash' : 'array', key, value, maxEntries(), flags());
    }
    case 'XskMap': case 'SockMap': case 'CgroupArray':
      return ref('array', INT.u32, INT.u32, maxEntries(), cls === 'CgroupArray' ? 0 : flags());
    case 'SockHash': {
      const key = layoutArg(0, 'key') ?? INT.u32;
      return ref('hash', key, INT.u32, maxEntries(), flags());
    }
    case 'CgroupStorage': case 'PerCpuCgroupStorage': {
      const value = layoutArg(0, 'value');
      if (!value) { report('LK3010', 'the value must be an integer width or a struct()/array() layout', at); return undefined; }
      return ref('hash', CGROUP_STORAGE_KEY, value, 0);
    }
    case 'StackTrace': {
      const depth = constOption(info, e, 'depth', 127, report, at);
      if (depth !== undefined && (depth < 1 || depth > 127)) report('LK4005', `depth ${depth} is outside 1..127`, option(e, 'depth') ?? at);
      const frames: Layout = { kind: 'array', name: `u64[${depth ?? 127}]`, elem: INT.u64, length: depth ?? 127, size: 8 * (depth ?? 127), align: 8 };
      return ref('hash', INT.u32, frames, maxEntries());
    }
    case 'ArrayOfMaps': case 'HashOfMaps': {
      const innerExpr = option(e, 'inner');
      if (!innerExpr || !ts.isNewExpression(innerExpr)) { report('LK4005', 'needs inner: new HashMap(...) (or another map declaration) as the template of its inner maps', at); return undefined; }
      const innerCls = kernelSymbol(info.checker, innerExpr.expression)?.name;
      if (innerCls === 'ArrayOfMaps' || innerCls === 'HashOfMaps') { report('LK4005', 'an inner map cannot itself be a map of maps', innerExpr); return undefined; }
      const inner = declareInner(innerExpr, `${name}.inner`);
      if (!inner) { bad = true; return undefined; }
      const key = cls === 'ArrayOfMaps' ? INT.u32 : layoutArg(0, 'key');
      if (!key) { report('LK3010', 'the key must be an integer width or a struct()/array() layout (key: ...)', at); return undefined; }
      return ref(cls === 'ArrayOfMaps' ? 'array' : 'hash', key, innerMapLayout(inner), maxEntries(), flags());
    }
    case 'UserRingBuf': {
      const size = constOption(info, e, 'size', undefined, report, at);
      if (size !== undefined && (size === 0 || (size & (size - 1)) !== 0)) report('LK4005', `size ${size} is not a power of two`, option(e, 'size') ?? at);
      return ref('ringbuf', INT.u8, INT.u8, size);
    }
    case 'Arena': {
      const pages = constOption(info, e, 'pages', undefined, report, at);
      if (pages === 0) report('LK4005', 'pages must be at least 1', option(e, 'pages') ?? at);
      // BPF_F_MMAPABLE (1024): the kernel refuses an arena without it.
      return ref('ringbuf', INT.u8, INT.u8, pages, 1024);
    }
  }
  return undefined;
}
