// `--emit asm`: disassembly interleaved with `; file:line source` comments.
import { coreKindLabel, disassemble, type Instruction } from '@lockne/obj';
import type { CoreReloc, FuncReloc, LineRecord, MapReloc } from './back/emit.js';
import path from 'node:path';

export interface AsmInput {
  readonly name: string;
  readonly section: string;
  readonly instructions: readonly Instruction[];
  readonly lines: readonly LineRecord[];
  readonly mapRelocs: readonly MapReloc[];
  readonly funcRelocs?: readonly FuncReloc[];
  readonly coreRelocs?: readonly CoreReloc[];
}

/** `CO-RE byte_off task_struct.tgid (0:1)`: what the loader relocates in this instruction. */
function coreNote(r: CoreReloc): string {
  const field = r.relo.access.split(':')[1];
  const member = field === undefined ? '' : `.${r.relo.struct.fields[Number(field)]?.name ?? '?'}`;
  return ` ; CO-RE ${coreKindLabel(r.relo.kind)} ${r.relo.struct.name}${member} (${r.relo.access})`;
}

/** Disassemble one program, with source comments where the TS line changes and map names on LD_IMM64. */
export function formatAsm(p: AsmInput, opts: { withSource?: boolean } = {}): string {
  const text = disassemble(p.instructions);
  const bySlot = new Map(p.lines.map((l) => [l.insnOff, l]));
  const maps = new Map(p.mapRelocs.map((m) => [m.insnOff, m.map]));
  const funcs = new Map((p.funcRelocs ?? []).map((f) => [f.insnOff, f.func]));
  const core = new Map((p.coreRelocs ?? []).map((c) => [c.insnOff, c]));
  const out = [`${p.name}:  ; section ${p.section}`];
  let slot = 0;
  let lastLine = -1;
  for (const line of text) {
    const rec = bySlot.get(slot);
    if (opts.withSource !== false && rec && rec.pos.line !== lastLine) {
      out.push(`; ${path.basename(rec.pos.file)}:${rec.pos.line} ${rec.pos.text.trim()}`);
      lastLine = rec.pos.line;
    }
    const map = maps.get(slot);
    const fn = funcs.get(slot);
    const shown = map ? line.replace(/map_fd\(0\)/, `map_fd(${map})`) : fn ? line.replace(/= 0 ll$/, `= &${fn} ll`) : line;
    const c = core.get(slot);
    out.push(`  ${String(slot).padStart(3)}: ${shown}${c ? coreNote(c) : ''}`);
    slot += line.endsWith(' ll') ? 2 : 1;
  }
  return out.join('\n');
}
