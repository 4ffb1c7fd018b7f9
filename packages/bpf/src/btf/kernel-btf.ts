// The running kernel's BTF (/sys/kernel/btf/vmlinux, 5.4+ with
// CONFIG_DEBUG_INFO_BTF), read and indexed once per process: tp_btf, fentry,
// LSM and iterator programs name their attach point by a type id from it, and
// CO-RE relocates against it.
//
// Made for a fast first use: the file is mapped rather than read where the
// kernel allows it (6.16+: ~0.3 ms against ~7 ms for ~1300 page-sized reads of
// sysfs), and parsed as trusted bytes (the kernel checks its own BTF): the
// types are walked only as far as the ids and names asked for, without
// re-validating every member (a first CO-RE load walks ~1-5% of vmlinux).
// Nothing is decoded until asked for: name lookups go through the string
// table and a search of the type section.
//
// @example
// const id = kernelTypeId('btf_trace_sched_process_exec', 'TYPEDEF');
// Program.load({ type: 'TRACING', expectedAttachType: 'TRACE_RAW_TP', attachBtfId: id, ... });
import fs from 'node:fs';
import { BtfReader, type BtfKindName } from '@lockne/obj';
import { NotSupportedError } from '../errors.js';
import { native } from '../sys/native.js';
import { PROT_READ } from '../maps/mmap.js';

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** MAP_PRIVATE: the kernel refuses shared or writable mappings of its BTF. */
const MAP_PRIVATE = 2;

let cached: BtfReader | undefined;

/** The kernel's BTF, parsed on first use and cached. Throws NotSupportedError when the kernel has none. */
export function kernelBtf(): BtfReader {
  if (cached) return cached;
  cached = BtfReader.parse(vmlinuxBytes(), { trusted: true });
  return cached;
}

/**
 * The bytes of VMLINUX_BTF: a read-only private mapping when the kernel
 * supports mmap of it, else read. The mapping lives as long as the process
 * (the cached reader keeps views of it) and is never written: BtfReader only
 * reads its input.
 */
function vmlinuxBytes(): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(VMLINUX_BTF, 'r');
  } catch (e) {
    throw unavailable(e);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > 0) {
      const mapped = native.mmap(fd, size, PROT_READ, MAP_PRIVATE, 0);
      // Older kernels have no mmap for this file (ENODEV/EINVAL/EACCES): read it.
      if (typeof mapped !== 'number') return new Uint8Array(mapped);
    }
    return fs.readFileSync(fd);
  } catch (e) {
    throw unavailable(e);
  } finally {
    fs.closeSync(fd);
  }
}

function unavailable(e: unknown): NotSupportedError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return new NotSupportedError(`kernel BTF unavailable: ${VMLINUX_BTF}: ${code}` +
    (code === 'ENOENT' ? ' (kernel built without CONFIG_DEBUG_INFO_BTF)' : ''));
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
