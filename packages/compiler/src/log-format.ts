// What a logging object carries for userspace: the names the compiler gives
// its log ring, level and template table, and the template records. Shared by
// the front end that writes them (front/log.ts) and the reader that prints
// them (log-reader.ts), and kept free of the TypeScript compiler so that
// `@lockne/compiler/userspace` loads without it (~0.6 s of startup).
import type { LogLevel } from '@lockne/kernel';
import type { IntTy } from './ir/types.js';

/** Names the compiler adds to an object that logs. */
export const LOG_NAMES = { ring: 'lockne_log', level: 'lockne_log_level', table: 'lockne_log_templates', section: '.rodata.lockne_log' } as const;

/** How userspace prints one argument: an integer width, a bool, be16 (ntohs) or be32 (dotted IPv4). */
export type LogArgKind = IntTy['name'] | 'bool' | 'be16' | 'be32';

/** One log call site: what userspace needs to print its records. */
export interface LogTemplate {
  readonly level: LogLevel;
  /** Text pieces around the arguments (`args.length + 1` of them). */
  readonly text: readonly string[];
  readonly args: readonly LogArgKind[];
  readonly file: string;
  readonly line: number;
}
