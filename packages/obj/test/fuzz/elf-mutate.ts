// ELF-aware mutations for BPF objects: ELF header fields, section header
// fields (offsets and sizes pointing outside or overlapping, zero-length
// sections, wrong types, links and entry sizes), symbols, relocations,
// instructions in program sections, renamed sections, duplicated headers, and
// in-place BTF / .BTF.ext mutations of the object's own sections.
import type { Rand } from './rand.js';
import type { Mutation } from './generic.js';
import { getU32, getU64, hex, setU16, setU32, setU64, u32Values, u64Values } from './bytes.js';
import { SHF_EXECINSTR, SHT, hasData, type ElfLayout, type ElfSec } from './elf-layout.js';
import { btfLayout } from './btf-layout.js';
import { btfInPlace } from './btf-mutate.js';
import { extInPlace, extLayout } from './btf-ext-mutate.js';

/** Names libbpf gives meaning to: renaming a section to one of these changes how it is read. */
const SECTION_NAMES = [
  'xdp', 'tc', 'socket', 'kprobe/x', 'uprobe', 'fentry/x', 'tp_btf/x', 'lsm/x', 'iter/task', 'raw_tp.w/x', 'xdp.frags', '?tc',
  'cgroup/connect4', 'struct_ops', 'sk_lookup', 'usdt', 'license', 'version', 'maps', '.maps', '.data', '.bss', '.rodata',
  '.kconfig', '.ksyms', '.text', '.BTF', '.BTF.ext', '.symtab', '.strtab', '.data.x', '.rodata.x', '.rel.maps', '.reltc', '',
];

function relevance(s: ElfSec): number {
  if (s.type === SHT.NULL) return 0.3;
  if (s.name.startsWith('.debug') || s.name.startsWith('.rel.debug') || s.name === '.llvm_addrsig') return 0.2;
  return 4;
}

function pickSection(r: Rand, l: ElfLayout, f: (s: ElfSec) => boolean = () => true): ElfSec | undefined {
  const xs = l.sections.filter(f);
  return xs.length ? r.weighted(xs.map((s) => [s, relevance(s)] as const)) : undefined;
}

function sectionValue(r: Rand, l: ElfLayout, len: number, cur: bigint, field: 'offset' | 'size' | 'index'): bigint {
  const other = l.sections.length ? r.pick(l.sections) : undefined;
  if (field === 'index') return BigInt(r.pick([0, l.shnum, l.shnum - 1, l.shnum + 1, other?.index ?? 1, 0xffff, 0xffffffff, l.shstrndx]) >>> 0);
  const extra = field === 'offset'
    ? [BigInt(other?.offset ?? 0), BigInt((other?.offset ?? 0) + (other?.size ?? 0)), BigInt(len), BigInt(len + 1), cur + 1n, cur + 4n]
    : [0n, BigInt(other?.size ?? 0), cur + 8n, cur - 8n, BigInt(len)];
  return r.chance(0.5) ? r.pick(extra) : r.pick(u64Values(cur, len));
}

export function elfMutation(b: Uint8Array, l: ElfLayout, r: Rand): Mutation | undefined {
  const le = l.le;
  const len = b.byteLength;
  switch (r.weighted<number>([[0, 1.5], [1, 4], [2, 3], [3, 3], [4, 3], [5, 2], [6, 2], [7, 1], [8, 1.5]])) {
    case 0: { // ELF header
      const what = r.int(0, 6);
      if (what === 0) { b[4] = r.pick([0, 1, 3]); return { bytes: b, op: `elf class=${b[4]}` }; }
      if (what === 1) { b[5] = r.pick([0, 2, 3]); return { bytes: b, op: `elf data=${b[5]}` }; }
      if (what === 2) { const v = r.pick(u64Values(getU64(b, 40, le), len)); setU64(b, 40, v, le); return { bytes: b, op: `e_shoff=${hex(v)}` }; }
      if (what === 3) { const v = r.pick([0, 40, 63, 65, 128]); setU16(b, 58, v, le); return { bytes: b, op: `e_shentsize=${v}` }; }
      if (what === 4) { const v = r.pick([0, l.shnum - 1, l.shnum + 1, 1, 0xffff]); setU16(b, 60, v, le); return { bytes: b, op: `e_shnum=${v & 0xffff}` }; }
      if (what === 5) { const v = Number(sectionValue(r, l, len, 0n, 'index')) & 0xffff; setU16(b, 62, v, le); return { bytes: b, op: `e_shstrndx=${v}` }; }
      const v = r.pick([0, 1, 2, 3, 4]); setU16(b, 16, v, le); return { bytes: b, op: `e_type=${v}` };
    }
    case 1: { // a section header field
      const s = pickSection(r, l);
      if (!s) return undefined;
      const field = r.weighted<string>([['name', 1], ['type', 1.5], ['flags', 0.5], ['offset', 2], ['size', 2.5], ['link', 1], ['info', 1], ['entsize', 1]]);
      const h = s.hdr;
      switch (field) {
        case 'name': {
          const other = r.pick(l.sections);
          const v = r.pick([getU32(b, other.hdr, le), 0, getU32(b, h, le) + 1, 0xffffffff, 0x10000]);
          setU32(b, h, v, le);
          return { bytes: b, op: `section ${s.index} '${s.name}' sh_name=${v >>> 0}` };
        }
        case 'type': {
          const v = r.pick([SHT.NULL, SHT.PROGBITS, SHT.SYMTAB, SHT.STRTAB, SHT.RELA, SHT.NOBITS, SHT.REL, SHT.DYNSYM, 0x6fff4c03, r.u32()]);
          setU32(b, h + 4, v, le);
          return { bytes: b, op: `section ${s.index} '${s.name}' sh_type=${hex(v)}` };
        }
        case 'flags': {
          const v = r.pick([0n, 1n, 2n, 4n, 6n, 0xffffffffffffffffn, s.flags ^ SHF_EXECINSTR]);
          setU64(b, h + 8, v, le);
          return { bytes: b, op: `section ${s.index} '${s.name}' sh_flags=${hex(v)}` };
        }
        case 'offset': case 'size': {
          const at = h + (field === 'offset' ? 24 : 32);
          const v = sectionValue(r, l, len, getU64(b, at, le), field);
          setU64(b, at, v, le);
          return { bytes: b, op: `section ${s.index} '${s.name}' sh_${field}=${hex(v)}` };
        }
        case 'link': case 'info': {
          const v = Number(sectionValue(r, l, len, 0n, 'index'));
          setU32(b, h + (field === 'link' ? 40 : 44), v, le);
          return { bytes: b, op: `section ${s.index} '${s.name}' sh_${field}=${v}` };
        }
        default: {
          const v = r.pick([0n, 1n, 8n, 16n, 23n, 24n, 25n, 0xffffffffn, 1n << 63n]);
          setU64(b, h + 56, v, le);
          return { bytes: b, op: `section ${s.index} '${s.name}' sh_entsize=${v}` };
        }
      }
    }
    case 2: { // a symbol
      const st = pickSection(r, l, (s) => s.type === SHT.SYMTAB && hasData(b, s));
      if (!st || st.size < 24) return undefined;
      const n = Math.floor(st.size / 24);
      const o = st.offset + 24 * r.below(n);
      const field = r.int(0, 5);
      if (field === 0) { const v = r.pick([0, 1, 0xffffffff, 0x10000, getU32(b, st.offset + 24 * r.below(n), le), getU32(b, o, le) + 1]); setU32(b, o, v, le); return { bytes: b, op: `symbol@${hex(o)} st_name=${v >>> 0}` }; }
      if (field === 1) { const v = r.chance(0.5) ? (b[o + 4]! & 0xf0) | r.int(0, 15) : (r.pick([0, 1, 2, 10, 15]) << 4) | (b[o + 4]! & 0xf); b[o + 4] = v; return { bytes: b, op: `symbol@${hex(o)} st_info=${hex(v)}` }; }
      if (field === 2) { b[o + 5] = r.pick([0, 1, 2, 3, 0xff]); return { bytes: b, op: `symbol@${hex(o)} st_other=${b[o + 5]}` }; }
      if (field === 3) { const v = r.pick([0, l.shnum, l.shnum + 1, 0xfff1, 0xfff2, 0xff00, 0xffff, r.below(Math.max(1, l.shnum))]); setU16(b, o + 6, v, le); return { bytes: b, op: `symbol@${hex(o)} st_shndx=${hex(v)}` }; }
      const at = o + (field === 4 ? 8 : 16);
      const cur = getU64(b, at, le);
      const v = r.chance(0.5) ? r.pick([cur + 1n, cur + 4n, cur + 8n, cur - 8n, 0n]) : r.pick(u64Values(cur, len));
      setU64(b, at, v, le);
      return { bytes: b, op: `symbol@${hex(o)} st_${field === 4 ? 'value' : 'size'}=${hex(v)}` };
    }
    case 3: { // a relocation
      const rel = pickSection(r, l, (s) => (s.type === SHT.REL || s.type === SHT.RELA) && hasData(b, s) && !s.name.startsWith('.rel.debug'));
      const ent = rel?.type === SHT.RELA ? 24 : 16;
      if (!rel || rel.size < ent) return undefined;
      const o = rel.offset + ent * r.below(Math.floor(rel.size / ent));
      if (r.chance(0.4)) {
        const cur = getU64(b, o, le);
        const v = r.pick([cur + 1n, cur + 4n, cur + 8n, cur - 8n, 0n, 1n << 32n, (1n << 64n) - 8n, BigInt(len)]);
        setU64(b, o, v, le);
        return { bytes: b, op: `relocation@${hex(o)} r_offset=${hex(v)}` };
      }
      const sym = getU32(b, o + 12, le);
      if (r.chance(0.5)) {
        const v = r.pick([0, sym + 1, sym - 1, 0xffffff, 0xffffffff, r.int(0, 64)]);
        setU32(b, o + 12, v, le);
        return { bytes: b, op: `relocation@${hex(o)} symbol ${sym} -> ${v >>> 0}` };
      }
      const v = r.pick([0, 1, 2, 3, 4, 10, 0xff, r.u32()]);
      setU32(b, o + 8, v, le);
      return { bytes: b, op: `relocation@${hex(o)} type=${hex(v)}` };
    }
    case 4: case 5: { // the object's own .BTF / .BTF.ext, in place
      const name = r.chance(0.6) ? '.BTF' : '.BTF.ext';
      const s = l.sections.find((x) => x.name === name && hasData(b, x));
      if (!s) return undefined;
      const sub = b.subarray(s.offset, s.offset + s.size);
      const m = name === '.BTF' ? withLayout(btfLayout(sub), (x) => btfInPlace(sub, x, r)) : withLayout(extLayout(sub), (x) => extInPlace(sub, x, r));
      return m ? { bytes: b, op: `in ${name}: ${m.op}` } : undefined;
    }
    case 6: { // instructions and section contents
      const s = pickSection(r, l, (x) => hasData(b, x) && ((x.flags & SHF_EXECINSTR) !== 0n || ['.maps', 'license', 'version', 'maps', '.data', '.rodata'].includes(x.name)));
      if (!s) return undefined;
      if ((s.flags & SHF_EXECINSTR) === 0n) {
        const at = s.offset + r.below(s.size);
        const v = r.pick([0, 0x41, 0xff, 0x80]);
        b.fill(v, at, r.chance(0.3) ? s.offset + s.size : at + 1);
        return { bytes: b, op: `section '${s.name}' byte(s) from ${hex(at)} = ${hex(v)}` };
      }
      const n = Math.floor(s.size / 8);
      if (n === 0) return undefined;
      const o = s.offset + 8 * (r.chance(0.3) ? n - 1 : r.below(n));
      const what = r.int(0, 4);
      if (what === 0) { b[o] = 0x18; return { bytes: b, op: `insn@${hex(o)} -> ld_imm64 (first half)` }; }
      if (what === 1) { b[o] = 0x85; b[o + 1] = (b[o + 1]! & 0x0f) | (r.pick([0, 1, 2]) << 4); setU32(b, o + 4, r.pick([-1, 0, 0x7fffffff, -0x80000000, r.int(-64, 64)]), le); return { bytes: b, op: `insn@${hex(o)} -> call src=${b[o + 1]! >> 4}` }; }
      if (what === 2) { b[o + 1] = (b[o + 1]! & 0x0f) | (r.int(0, 15) << 4); return { bytes: b, op: `insn@${hex(o)} src=${b[o + 1]! >> 4}` }; }
      if (what === 3) { setU32(b, o + 4, r.pick(u32Values(getU32(b, o + 4, le), n)), le); return { bytes: b, op: `insn@${hex(o)} imm changed` }; }
      b[o] = r.int(0, 255);
      return { bytes: b, op: `insn@${hex(o)} opcode=${hex(b[o]!)}` };
    }
    case 7: { // duplicated section headers / data
      if (l.sections.length < 2) return undefined;
      const a = pickSection(r, l)!;
      const c = pickSection(r, l)!;
      if (r.chance(0.5)) {
        b.copyWithin(a.hdr, c.hdr, c.hdr + 64);
        return { bytes: b, op: `section header ${c.index} '${c.name}' copied over ${a.index} '${a.name}'` };
      }
      setU64(b, a.hdr + 24, BigInt(c.offset), le);
      return { bytes: b, op: `section ${a.index} '${a.name}' data moved onto ${c.index} '${c.name}' (overlap)` };
    }
    default: { // rename a section in place
      const strtab = l.sections[l.shstrndx];
      const s = pickSection(r, l, (x) => x.name.length > 0);
      if (!s || !strtab) return undefined;
      const fits = SECTION_NAMES.filter((n) => n.length <= s.name.length);
      const name = fits.length ? r.pick(fits) : '';
      const at = strtab.offset + getU32(b, s.hdr, le);
      if (at + s.name.length > len) return undefined;
      const enc = new TextEncoder().encode(name);
      b.set(enc, at);
      b.fill(0, at + enc.length, at + s.name.length);
      return { bytes: b, op: `section ${s.index} '${s.name}' renamed '${name}'` };
    }
  }
}

function withLayout<L>(l: L | undefined, f: (l: L) => Mutation | undefined): Mutation | undefined {
  return l === undefined ? undefined : f(l);
}
