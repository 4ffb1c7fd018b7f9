// The running kernel's BTF (/sys/kernel/btf/vmlinux, 5.4+ with
// CONFIG_DEBUG_INFO_BTF), read and indexed once per process: tp_btf, fentry,
// LSM and iterator programs name their attach point by a type id from it.
//
// @example
// const id = kernelTypeId('btf_trace_sched_process_exec', 'TYPEDEF');
// Program.load({ type: 'TRACING', expectedAttachType: 'TRACE_RAW_TP', attachBtfId: id, ... });
import fs from 'node:fs';
import { BtfReader, type BtfKindName } from '@lockne/obj';
import { NotSupportedError } from '../errors.js';

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

let cached: BtfReader | undefined;

/** The kernel's BTF, parsed on first use and cached. Throws NotSupportedError when the kernel has none. */
export function kernelBtf(): BtfReader {
  if (cached) return cached;
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(VMLINUX_BTF);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new NotSupportedError(`kernel BTF unavailable: ${VMLINUX_BTF}: ${code}` +
      (code === 'ENOENT' ? ' (kernel built without CONFIG_DEBUG_INFO_BTF)' : ''));
  }
  cached = BtfReader.parse(bytes);
  return cached;
}

/**
 * Id of the `kind` type named `name` in the kernel's BTF. Throws
 * NotSupportedError naming both when this kernel has no such type (a hook,
 * tracepoint or iterator it was built without, or a misspelling).
 */
export function kernelTypeId(name: string, kind: BtfKindName, what = `${kind} '${name}'`): number {
  const id = kernelBtf().findId(name, kind);
  if (id === undefined) throw new NotSupportedError(`${what}: no ${kind} '${name}' in kernel BTF (${VMLINUX_BTF})`);
  return id;
}
