// CO-RE failures that stop a load (libbpf returns an error for these). A
// relocation that merely cannot be satisfied is not an error: it poisons the
// instruction (see patch.ts) and the verifier decides whether that matters.

/** errno-style reason, as libbpf would return it. */
export type CoreErrno = 'EINVAL' | 'E2BIG' | 'EOPNOTSUPP' | 'ERANGE';

/** Thrown by the spec/compat helpers; the resolver adds the relocation's context. */
export class CoreSpecError extends Error {
  override name = 'CoreSpecError';
  readonly errno: CoreErrno;
  constructor(errno: CoreErrno, message: string) {
    super(message);
    this.errno = errno;
  }
}

export interface CoreReloErrorContext {
  /** Program name, when known. */
  program?: string;
  /** Index of the record among the program's CO-RE records. */
  reloIndex?: number;
  /** Instruction index the record patches. */
  insn?: number;
  kind: number;
  typeId: number;
  accessStr: string;
}

/**
 * A CO-RE relocation that cannot be applied (bad record, ambiguous
 * candidates, unexpected instruction...).
 * @example
 * try { resolver.resolve(relo) } catch (e) { if (e instanceof CoreReloError) console.error(e.errno, e.message) }
 */
export class CoreReloError extends Error {
  override name = 'CoreReloError';
  readonly errno: CoreErrno;
  readonly context: CoreReloErrorContext;
  constructor(errno: CoreErrno, context: CoreReloErrorContext, what: string) {
    const where = [
      context.program !== undefined ? `prog '${context.program}'` : '',
      context.reloIndex !== undefined ? `CO-RE relo #${context.reloIndex}` : 'CO-RE relo',
      context.insn !== undefined ? `insn #${context.insn}` : '',
    ].filter(Boolean).join(': ');
    super(`${where}: ${what} (${errno})`);
    this.errno = errno;
    this.context = context;
  }
}
