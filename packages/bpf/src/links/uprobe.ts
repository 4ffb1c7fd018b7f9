// uprobes and uretprobes (KPROBE programs on user functions; the uprobe PMU,
// 4.17+; link mode 5.15+). The probe point is a file offset in an ELF binary
// or library, found from a function symbol by @lockne/obj's ElfFile (libbpf's
// rule: st_value - sh_addr + sh_offset), so PIE executables and shared
// libraries work alike. The perf event gets the path and offset through the
// uprobe PMU (config1 = pointer to the path, config2 = offset).
//
// @example
// const prog = Program.load({ type: 'KPROBE', instructions: assemble('r0 = 0\nexit') });
// const link = attachUprobe(prog, { path: '/usr/lib/x86_64-linux-gnu/libc.so.6', symbol: 'getpid' });
// ... link.close();
import fs from 'node:fs';
import path from 'node:path';
import { ElfFile } from '@lockne/obj';
import { dynamicPmu, perfEventOpen } from '../sys/perf.js';
import { attachPerfEvent, type PerfAttachOptions, type PerfEventLink } from './perf-event.js';
import { ArgumentError } from '../errors.js';
import type { Program } from '../programs/program.js';

export interface UprobeOptions extends PerfAttachOptions {
  /** The executable or library (made absolute against the cwd). */
  path: string;
  /** Function to probe (a FUNC or IFUNC symbol in .symtab or .dynsym). */
  symbol?: string;
  /** File offset; added to the symbol's offset when both are given. */
  offset?: number;
  /** A uretprobe: run on return instead of entry. */
  retprobe?: boolean;
  /** Only this process (default -1: every process that maps the file). */
  pid?: number;
  /** File offset of a USDT semaphore the kernel increments while attached (4.20+). */
  refCtrOffset?: number;
}

/** File offset of function `symbol` in the ELF file at `file` (ElfSymbolError when absent or ambiguous). */
export function uprobeOffset(file: string, symbol: string): number {
  return ElfFile.parse(fs.readFileSync(file)).functionOffset(symbol).offset;
}

/** Attach a KPROBE program as a uprobe (or uretprobe) on a user function. */
export function attachUprobe(prog: Program, opts: UprobeOptions): PerfEventLink {
  if (opts.symbol === undefined && opts.offset === undefined) throw new ArgumentError('attachUprobe: give a symbol or an offset');
  const file = path.resolve(opts.path);
  const offset = (opts.symbol === undefined ? 0 : uprobeOffset(file, opts.symbol)) + (opts.offset ?? 0);
  const pmu = dynamicPmu('uprobe');
  let config = 0n;
  if (opts.retprobe) {
    if (pmu.retprobeBit === undefined) throw new ArgumentError('attachUprobe: this kernel\'s uprobe PMU has no retprobe format bit');
    config |= 1n << BigInt(pmu.retprobeBit);
  }
  // ref_ctr_offset lives in config bits 32-63 (format/ref_ctr_offset).
  if (opts.refCtrOffset) config |= BigInt(opts.refCtrOffset) << 32n;
  const kind = opts.retprobe ? 'uretprobe' : 'uprobe';
  const what = `${kind} ${file}:${opts.symbol ?? ''}+0x${offset.toString(16)}`;
  const pid = opts.pid ?? -1;
  const fd = perfEventOpen({
    type: pmu.type,
    config,
    uprobe_path: new TextEncoder().encode(`${file}\0`),
    probe_offset: offset,
  }, { pid, cpu: pid === -1 ? 0 : -1, what });
  return attachPerfEvent(prog, fd, { ...opts, what });
}
