// Compiling C eBPF programs with clang at test time, as libbpf users do.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Why clang-based tests cannot run, or null. */
export function clangMissing(): string | null {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'clang is not installed';
  }
}

let multiarch: string | undefined;
/** The host's multiarch include directory name (asm/types.h lives there). */
function hostMultiarch(): string {
  if (multiarch === undefined) {
    multiarch = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
    try {
      multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim() || multiarch;
    } catch { /* keep the default */ }
  }
  return multiarch;
}

/**
 * Write `src` to dir/name.bpf.c and compile it with `clang -O2 <extra> -target bpf`;
 * returns the .o path. `extra` defaults to ['-g'] (BTF and line info).
 */
export function compileBpfC(dir: string, name: string, src: string, extra: string[] = ['-g']): string {
  const c = path.join(dir, `${name}.bpf.c`);
  const o = path.join(dir, `${name}.bpf.o`);
  fs.writeFileSync(c, src);
  execFileSync('clang', ['-O2', ...extra, '-target', 'bpf', `-I/usr/include/${hostMultiarch()}`, '-c', c, '-o', o]);
  return o;
}
