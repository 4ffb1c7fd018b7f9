/**
 * An assembly error at a source position (both 1-based). The message starts
 * with `line:column: `.
 * @example
 * try { assemble('r11 = 1') } catch (e) { if (e instanceof AsmError) e.line } // 1
 */
export class AsmError extends Error {
  override name = 'AsmError';

  constructor(
    /** the problem, without the position prefix */
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${line}:${column}: ${reason}`);
  }
}
