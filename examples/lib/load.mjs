// Shared by the demos: compile a *.bpf.ts next to the caller with
// @lockne/compiler and load the object with @lockne/bpf. Compile errors throw
// with every diagnostic (file:line:col: LKxxxx message).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile, formatDiagnostic } from '@lockne/compiler';
import { BpfObject } from '@lockne/bpf';

/** Compile `file` (a URL or path) to an ELF object; throws on any diagnostic. */
export function compileFile(file) {
  const path = file instanceof URL ? fileURLToPath(file) : file;
  const r = compile(path);
  if (!r.object || r.diagnostics.length > 0) {
    throw new Error(`compile ${path} failed:\n  ${r.diagnostics.map(formatDiagnostic).join('\n  ')}`);
  }
  return r.object;
}

/** Compile and load: the caller closes the returned BpfObject. */
export function loadFile(file, opts) {
  return BpfObject.load(compileFile(file), opts);
}

/** True when `meta` (import.meta) is the script node was started with. */
export function isMain(meta) {
  return process.argv[1] !== undefined && meta.url === pathToFileURL(process.argv[1]).href;
}

/** Dotted quad of an IPv4 address held in network order in `v` at `off`. */
export function ipv4At(v, off) {
  return `${v.getUint8(off)}.${v.getUint8(off + 1)}.${v.getUint8(off + 2)}.${v.getUint8(off + 3)}`;
}
