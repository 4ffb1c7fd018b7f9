// Structured logging: `log.info\`drop ${saddr} port ${port}\``. The compiler
// turns the constant text into a template id (the table is JSON in the object's
// `.rodata.lockne_log` section) and writes a compact record {level, argc, id,
// args...} to the `lockne_log` ring buffer it adds; userspace formats the text
// (logReader in @lockne/compiler). No string formatting in the kernel.
import type { IntLike } from './ints.js';
import { kernelOnly } from './kernel-only.js';

/**
 * Severity levels. A call is compiled only up to the compile option `logLevel` (default DEBUG)
 * and runs only up to the `lockne_log_level` rodata (default INFO; the verifier removes the rest).
 */
export enum LogLevel {
  ERROR = 0,
  WARN = 1,
  INFO = 2,
  DEBUG = 3,
}

/** A log template tag: constant text with at most 8 integer/bool substitutions. */
export type LogTag = (text: TemplateStringsArray, ...args: IntLike[]) => void;

/** Logging API for *.bpf.ts. @example log.warn`dropped ${u32(ctx.ingressIfindex)}`; */
export const log: { readonly error: LogTag; readonly warn: LogTag; readonly info: LogTag; readonly debug: LogTag } = {
  error: () => kernelOnly('log.error'),
  warn: () => kernelOnly('log.warn'),
  info: () => kernelOnly('log.info'),
  debug: () => kernelOnly('log.debug'),
};

/** Layout of one log record in the ring buffer (little-endian): u8 level, u8 argc, u16 pad, u32 template id, then argc u64 args. */
export const LOG_RECORD = { headerSize: 8, argSize: 8, maxArgs: 8 } as const;
