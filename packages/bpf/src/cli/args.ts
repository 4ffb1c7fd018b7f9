// Turning CLI words into typed values, with errors that name the option.
import { AsmError, assemble, type Instruction } from '@lockne/obj';
import { AttachType, ProgType, type AttachTypeName, type ProgTypeName } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';

/** A named enum member from 'sched_cls', 'SCHED_CLS' or a number. */
function enumArg<T extends string>(table: Readonly<Record<T, number>>, text: string, what: string, prefix: string): T | number {
  if (/^\d+$/.test(text)) return Number(text);
  const key = text.toUpperCase().replace(/-/g, '_').replace(new RegExp(`^${prefix}`), '');
  if (key in table) return key as T;
  const names = Object.keys(table).map((k) => k.toLowerCase()).join(', ');
  throw new ArgumentError(`${what} '${text}' is unknown; one of: ${names}`);
}

export const progTypeArg = (text: string): ProgTypeName | number => enumArg(ProgType, text, 'program type', 'BPF_PROG_TYPE_');
export const attachTypeArg = (text: string): AttachTypeName | number => enumArg(AttachType, text, 'attach type', 'BPF_');

/** The first error a CLI shows for bad assembly: "<source>:line:col: reason". */
export class AsmSourceError extends ArgumentError {
  override name = 'AsmSourceError';
  constructor(source: string, e: AsmError) {
    super(`${source}:${e.line}:${e.column}: ${e.reason}`);
  }
}

/** Assemble `text`; AsmError becomes an error naming `source` and line:col. */
export function assembleSource(text: string, source: string): Instruction[] {
  try {
    return assemble(text);
  } catch (e) {
    if (e instanceof AsmError) throw new AsmSourceError(source, e);
    throw e;
  }
}
