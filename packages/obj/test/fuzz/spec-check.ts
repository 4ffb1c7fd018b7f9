// Consistency of an ObjectSpec returned by parseObject: every index, name and
// size it holds points at something that exists. Returns the first problem
// found, or null.
import { BtfReader, type MapSpec, type ObjectSpec } from '../../src/index.js';

const isU32 = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const isInt = (v: unknown, lo: number, hi: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

export function checkSpec(spec: ObjectSpec): string | null {
  if (typeof spec.license !== 'string') return `license ${String(spec.license)}`;
  if (!isU32(spec.kernelVersion)) return `kernelVersion ${spec.kernelVersion}`;
  let btf: BtfReader | undefined;
  if (spec.btf) {
    try {
      btf = BtfReader.parse(spec.btf);
    } catch (e) {
      return `spec.btf does not parse: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const maps = new Set(spec.maps.map((m) => m.name));
  const externs = new Set(spec.externs.map((e) => e.name));
  const programs = new Set(spec.programs.map((p) => p.name));
  if (maps.size !== spec.maps.length) return 'two maps with one name';
  if (programs.size !== spec.programs.length) return 'two programs with one name';
  for (const e of spec.externs) {
    if (!['kconfig', 'ksym', 'kfunc'].includes(e.kind)) return `extern '${e.name}' of kind ${e.kind}`;
    if (btf && e.btfTypeId !== undefined && !isInt(e.btfTypeId, 0, btf.lastId)) return `extern '${e.name}' BTF type ${e.btfTypeId}`;
  }
  for (const m of spec.maps) {
    const p = checkMap(m, maps, programs, btf);
    if (p) return p;
  }
  for (const p of spec.programs) {
    const n = p.instructions.length;
    const where = `program '${p.name}'`;
    if (!p.name) return 'program without a name';
    if (!isU32(p.def.progType) || !isU32(p.def.progFlags)) return `${where}: prog type ${p.def.progType} flags ${p.def.progFlags}`;
    for (const [i, x] of p.instructions.entries()) {
      if (!isInt(x.code, 0, 255) || !isInt(x.dst, 0, 15) || !isInt(x.src, 0, 15) || !isInt(x.off, -0x8000, 0x7fff) || !isInt(x.imm, -0x80000000, 0x7fffffff)) {
        return `${where}: instruction ${i} ${JSON.stringify(x)} has a field out of range`;
      }
    }
    for (const r of p.relocations) {
      if (!isInt(r.insn, 0, n - 1)) return `${where}: relocation at instruction ${r.insn} of ${n}`;
      if ((r.kind === 'map' || r.kind === 'mapValue') && !maps.has(r.map)) return `${where}: relocation to unknown map '${r.map}'`;
      if ((r.kind === 'kconfig' || r.kind === 'ksym' || r.kind === 'kfunc') && !externs.has(r.extern)) return `${where}: relocation to unknown extern '${r.extern}'`;
    }
    for (const f of p.funcInfo) {
      if (!isInt(f.insnOff, 0, n - 1)) return `${where}: func_info at instruction ${f.insnOff} of ${n}`;
      if (btf && !isInt(f.typeId, 1, btf.lastId)) return `${where}: func_info type ${f.typeId} (last ${btf.lastId})`;
    }
    for (const l of p.lineInfo) if (!isInt(l.insnOff, 0, n - 1)) return `${where}: line_info at instruction ${l.insnOff} of ${n}`;
    for (const c of p.coreRelos) {
      if (!isInt(c.insnOff, 0, n - 1)) return `${where}: CO-RE relocation at instruction ${c.insnOff} of ${n}`;
      if (typeof c.accessStr !== 'string' || !isU32(c.kind)) return `${where}: CO-RE relocation ${JSON.stringify(c)}`;
      if (btf && !isInt(c.typeId, 0, btf.lastId)) return `${where}: CO-RE relocation type ${c.typeId} (last ${btf.lastId})`;
    }
  }
  return null;
}

function checkMap(m: MapSpec, maps: Set<string>, programs: Set<string>, btf: BtfReader | undefined): string | null {
  const where = `map '${m.name}'`;
  for (const k of ['type', 'keySize', 'valueSize', 'maxEntries', 'flags', 'btfKeyTypeId', 'btfValueTypeId'] as const) {
    if (!isU32(m[k])) return `${where}: ${k} ${m[k]}`;
  }
  if (btf && (m.btfKeyTypeId > btf.lastId || m.btfValueTypeId > btf.lastId)) return `${where}: BTF key/value types ${m.btfKeyTypeId}/${m.btfValueTypeId} (last ${btf.lastId})`;
  if (m.data) {
    for (const s of m.data.symbols) {
      if (!isU32(s.offset) || !isU32(s.size) || s.offset + s.size > m.data.bytes.byteLength) {
        return `${where}: symbol '${s.name}' at ${s.offset}+${s.size} outside its ${m.data.bytes.byteLength}-byte section`;
      }
    }
  }
  for (const slot of m.initialSlots ?? []) {
    if (!isInt(slot.index, 0, m.maxEntries - 1)) return `${where}: initial slot ${slot.index} of ${m.maxEntries}`;
    const known = slot.ref.kind === 'map' ? maps.has(slot.ref.name) || slot.ref.name === m.inner?.name : programs.has(slot.ref.name);
    if (!known) return `${where}: initial slot ${slot.index} names unknown ${slot.ref.kind} '${slot.ref.name}'`;
  }
  return m.inner ? checkMap(m.inner, maps, programs, btf) : null;
}
