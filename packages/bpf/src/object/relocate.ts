// Applying a program's Relocations to a copy of its instructions, as libbpf's
// bpf_object__relocate_data: map loads get the map fd, global data loads the
// data map fd plus the variable's offset, kconfig externs an offset into the
// .kconfig map, ksyms an address or a kernel BTF id, kfunc calls the kfunc's
// BTF id. Unresolved __weak kfunc calls become an invalid helper call
// (2002000000 + extern index) that the verifier only rejects if reachable.
import type { ExternSpec, Instruction, ProgramSpec, Relocation } from '@lockne/obj';
import { BPF_CALL_INSN, BPF_LD_IMM64, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from '@lockne/obj';
import { ObjectLoadError } from './errors.js';
import type { ResolvedKsym } from './ksyms.js';

/** libbpf's marker for an unresolved weak kfunc call. */
export const POISON_CALL_KFUNC_BASE = 2002000000;

export interface RelocEnv {
  /** fd of the object's map `name` (throws when unknown). */
  mapFd(name: string): number;
  /** Name of the kconfig map in the spec ('.kconfig'). */
  kconfigMap: string | undefined;
  externs: readonly ExternSpec[];
  ksyms: ReadonlyMap<string, ResolvedKsym>;
}

const lo32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
const hi32 = (v: bigint): number => Number(BigInt.asIntN(32, v >> 32n));

/** The program's instructions with every relocation applied (the spec is not modified). */
export function relocate(prog: ProgramSpec, env: RelocEnv): Instruction[] {
  const insns = prog.instructions.map((i) => ({ ...i }));
  const what = `program '${prog.name}' (section '${prog.def.section}')`;
  const externIndex = new Map(env.externs.map((e, i) => [e.name, i]));
  for (const r of prog.relocations) {
    const at = (n: number): Instruction => {
      const insn = insns[n];
      if (!insn) throw new ObjectLoadError(what, `relocation ${describe(r)} points at instruction ${r.insn}, outside 0..${insns.length - 1}`);
      return insn;
    };
    const ldImm64 = (): [Instruction, Instruction] => {
      const a = at(r.insn);
      const b = at(r.insn + 1);
      if (a.code !== BPF_LD_IMM64) throw new ObjectLoadError(what, `relocation ${describe(r)}: instruction ${r.insn} is not a 64-bit immediate load (code 0x${a.code.toString(16)})`);
      return [a, b];
    };
    switch (r.kind) {
      case 'map': {
        const [a] = ldImm64();
        a.src = BPF_PSEUDO_MAP_FD;
        a.imm = env.mapFd(r.map);
        break;
      }
      case 'mapValue': {
        const [a, b] = ldImm64();
        a.src = BPF_PSEUDO_MAP_VALUE;
        a.imm = env.mapFd(r.map);
        b.imm += r.offset;
        break;
      }
      case 'kconfig': {
        const [a, b] = ldImm64();
        const ext = env.externs.find((e) => e.name === r.extern);
        if (!ext || ext.kind !== 'kconfig' || ext.offset === undefined || !env.kconfigMap) {
          throw new ObjectLoadError(what, `relocation ${describe(r)}: no kconfig extern '${r.extern}' with an offset in a .kconfig map`);
        }
        a.src = BPF_PSEUDO_MAP_VALUE;
        a.imm = env.mapFd(env.kconfigMap);
        b.imm = ext.offset;
        break;
      }
      case 'ksym': {
        const [a, b] = ldImm64();
        const k = resolved(env, r.extern, what);
        if (k.kind === 'btf') {
          a.src = BPF_PSEUDO_BTF_ID;
          a.imm = k.id;
          b.imm = k.btfFd;
        } else {
          const addr = k.kind === 'addr' ? k.addr : 0n;
          a.src = 0;
          a.imm = lo32(addr);
          b.imm = hi32(addr);
        }
        break;
      }
      case 'kfunc': {
        const a = at(r.insn);
        if (a.code !== BPF_CALL_INSN) throw new ObjectLoadError(what, `relocation ${describe(r)}: instruction ${r.insn} is not a call`);
        const k = resolved(env, r.extern, what);
        if (k.kind === 'btf') {
          a.src = BPF_PSEUDO_KFUNC_CALL;
          a.imm = k.id;
          a.off = 0;
        } else {
          a.src = 0;
          a.dst = 0;
          a.off = 0;
          a.imm = POISON_CALL_KFUNC_BASE + (externIndex.get(r.extern) ?? 0);
        }
        break;
      }
    }
  }
  return insns;
}

function resolved(env: RelocEnv, name: string, what: string): ResolvedKsym {
  const k = env.ksyms.get(name);
  if (!k) throw new ObjectLoadError(what, `extern '${name}' is used but was not resolved`);
  return k;
}

function describe(r: Relocation): string {
  switch (r.kind) {
    case 'map': return `of map '${r.map}'`;
    case 'mapValue': return `of '${r.map}'+${r.offset}`;
    default: return `of extern '${r.extern}'`;
  }
}
