// Diagnostics are data: collected while compiling, never thrown, each with a
// stable code (docs/language.md, @lockne/kernel diagnostic-codes) and a position.
import { DIAGNOSTICS, type DiagnosticCode } from '@lockne/kernel';

export interface Diagnostic {
  /** Stable code, e.g. 'LK2001'. */
  readonly code: string;
  readonly message: string;
  readonly file: string;
  /** 1-based line and column. */
  readonly line: number;
  readonly column: number;
  readonly severity: 'error' | 'warning';
}

/** `file:line:col: LKxxxx message`, the form editors and CI parse. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.code} ${d.message}`;
}

/** A source position: what every IR and machine instruction remembers (for BTF line_info). */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The whole source line, as bpftool prints it in `prog dump` comments. */
  readonly text: string;
}

export const NO_POS: SourcePos = { file: '', line: 0, column: 0, text: '' };

/** Thrown only inside the compiler to abandon one function after a diagnostic was recorded. */
export class CompileAbort extends Error {
  constructor() {
    super('compilation abandoned after a diagnostic');
  }
}

export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  /** Record `code` at `pos`; severity comes from the code table. */
  report(code: DiagnosticCode, message: string, pos: SourcePos): void {
    const severity = DIAGNOSTICS[code].severity;
    // Once per place: an unrolled loop lowers its body once per iteration.
    if (this.items.some((d) => d.code === code && d.message === message && d.file === pos.file && d.line === pos.line && d.column === pos.column)) return;
    this.items.push({ code, message, file: pos.file, line: pos.line, column: pos.column, severity });
  }
  /** A diagnostic that is not ours (tsc's own errors keep their TSxxxx code). */
  external(code: string, message: string, pos: SourcePos): void {
    this.items.push({ code, message, file: pos.file, line: pos.line, column: pos.column, severity: 'error' });
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}
