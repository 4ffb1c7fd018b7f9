// Errors of object loading. Each names the object part that failed (map,
// program and section, extern, pin path) and keeps the evidence: the cause,
// the verifier log, the source line of the failing instruction when the
// object has line info.
import { BpfError, VerifierError } from '../errors.js';

/** Loading an object failed at a step that is not a single syscall (an extern, a relocation, a pin). */
export class ObjectLoadError extends BpfError {
  override name = 'ObjectLoadError';
  /** What failed: "map 'counts'", "extern 'CONFIG_HZ'", "program 'handle' (section 'xdp')". */
  readonly what: string;
  constructor(what: string, reason: string, cause?: unknown) {
    super(`${what}: ${reason}`);
    this.what = what;
    if (cause !== undefined) this.cause = cause;
  }
}

/** A pinned map exists at the path but differs from the object's definition. */
export class PinMismatchError extends ObjectLoadError {
  override name = 'PinMismatchError';
  readonly path: string;
  /** Every field that differs, e.g. ["max_entries 16 (pinned 32)"]. */
  readonly mismatches: readonly string[];
  constructor(map: string, path: string, mismatches: readonly string[]) {
    super(`map '${map}'`, `pinned map at '${path}' is incompatible: ${mismatches.join(', ')}`);
    this.path = path;
    this.mismatches = mismatches;
  }
}

/** Where in the C source the verifier stopped, from the object's line info. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** The source line's text as recorded in BTF (may be empty). */
  text: string;
  /** Instruction index (in the linked program) the location belongs to. */
  insn: number;
}

/**
 * The verifier rejected one program of an object. `program` and `section`
 * name it; `source` is the C line of the last instruction the verifier
 * reported, when the object carries line info.
 */
export class ObjectVerifierError extends VerifierError {
  override name = 'ObjectVerifierError';
  readonly program: string;
  readonly section: string;
  readonly source: SourceLocation | undefined;
  /** What the loader knows about the failure (a poisoned CO-RE relocation, an unresolved kfunc). */
  readonly hints: readonly string[];
  constructor(e: VerifierError, program: string, section: string, source: SourceLocation | undefined, hints: readonly string[] = []) {
    super(e.syscall, e.errno, e.log, e.truncated, program);
    this.program = program;
    this.section = section;
    this.source = source;
    this.hints = hints;
    this.cause = e;
    const where = (source ? `\nat ${source.file}:${source.line}:${source.column} (insn ${source.insn})${source.text ? `: ${source.text.trim()}` : ''}` : '')
      + hints.map((h) => `\n${h}`).join('');
    const nl = this.message.indexOf('\n');
    const head = nl < 0 ? this.message : this.message.slice(0, nl);
    const rest = nl < 0 ? '' : this.message.slice(nl);
    this.message = `${head.replace(`program '${program}'`, `program '${program}' in section '${section}'`)}${where}${rest}`;
  }
}
