// Builds an IrFunction block by block; the front end's only way to emit IR.
import type { SourcePos } from '../diagnostics.js';
import type { Block, Inst, IrFunction, Operand, Terminator, VReg } from './ir.js';
import { ptr, type Ty } from './types.js';

/** What a function receives in R1 (a program's ctx by default) and R2..R5. */
export interface Signature { readonly first?: Ty; readonly rest?: readonly Ty[] }

export class IrBuilder {
  private readonly blocks: Block[] = [];
  private readonly vregs: VReg[] = [];
  private cur: Block;
  /** Blocks some branch targets: the others (besides entry) are unreachable. */
  private readonly targeted = new Set<number>();
  readonly entry: Block;
  readonly ctx: VReg;
  readonly params: readonly VReg[];

  constructor(readonly name: string, readonly pos: SourcePos, sig: Signature = {}) {
    this.entry = this.newBlock();
    this.cur = this.entry;
    this.ctx = this.vreg(sig.first ?? ptr('ctx'), 'ctx');
    this.params = (sig.rest ?? []).map((t, k) => this.vreg(t, `arg${k + 2}`));
  }

  vreg(ty: Ty, name?: string): VReg {
    const v: VReg = name === undefined ? { id: this.vregs.length, ty } : { id: this.vregs.length, ty, name };
    this.vregs.push(v);
    return v;
  }

  newBlock(): Block {
    const b: Block = { id: this.blocks.length, insts: [], term: null };
    this.blocks.push(b);
    return b;
  }

  get current(): Block {
    return this.cur;
  }

  /** False after a return/branch until a new block is entered: code there is unreachable. */
  get open(): boolean {
    return this.cur.term === null && (this.cur === this.entry || this.targeted.has(this.cur.id));
  }

  setBlock(b: Block): void {
    this.cur = b;
  }

  emit(i: Inst): void {
    // Statements after a return are unreachable: drop them (the verifier refuses dead code).
    if (this.open) this.cur.insts.push(i);
  }

  terminate(t: Terminator): void {
    if (!this.open) return;
    this.cur.term = t;
    if (t.op === 'br') this.targeted.add(t.target.id);
    if (t.op === 'cbr') { this.targeted.add(t.t.id); this.targeted.add(t.f.id); }
  }

  /**
   * Join branches that each give `dst` a value: in every `[block, value]` copy the value and go to
   * `join`, which becomes the current block (e.g. a pointer on one path, 0 on the other).
   */
  joinValues(dst: VReg, arms: ReadonlyArray<readonly [Block, Operand]>, join: Block, pos: SourcePos): void {
    for (const [block, value] of arms) {
      this.setBlock(block);
      this.emit({ op: 'copy', dst, src: value, pos });
      this.terminate({ op: 'br', target: join, pos });
    }
    this.setBlock(join);
  }

  finish(): IrFunction {
    return { name: this.name, entry: this.entry, blocks: this.blocks, ctx: this.ctx, params: this.params, vregs: this.vregs, pos: this.pos };
  }
}
