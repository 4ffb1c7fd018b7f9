// Compiles small BPF C programs with the system clang for the object parser
// tests, into a temporary directory. Tests that need clang call needClang(t):
// it skips with a reason when clang is missing, and fails instead under
// LOCKNE_REQUIRE_KERNEL=1 (CI must not silently lose these tests).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Types bpf_helpers.h needs, without <linux/types.h> (whose asm/ headers are per-arch). */
export const PRELUDE = `
typedef unsigned char __u8; typedef unsigned short __u16; typedef unsigned int __u32; typedef unsigned long long __u64;
typedef signed char __s8; typedef short __s16; typedef int __s32; typedef long long __s64;
typedef __u16 __be16; typedef __u32 __be32; typedef __u64 __be64; typedef __u32 __wsum; typedef __u16 __sum16;
#include <bpf/bpf_helpers.h>
enum { BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_ARRAY = 2, BPF_MAP_TYPE_PROG_ARRAY = 3, BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
       BPF_MAP_TYPE_HASH_OF_MAPS = 13, BPF_MAP_TYPE_RINGBUF = 27 };
enum { BPF_F_NO_PREALLOC = 1 };
`;

function tool(name: string, args: string[]): boolean {
  return spawnSync(name, args, { stdio: 'ignore' }).status === 0;
}

export const haveClang = tool('clang', ['--version']);
export const haveObjdump = tool('llvm-objdump', ['--version']);
export const haveGcc = tool('gcc', ['--version']);

/** True when `have`; otherwise skip (or fail under LOCKNE_REQUIRE_KERNEL=1) and return false. */
export function need(t: TestContext, have: boolean, what: string): boolean {
  if (have) return true;
  if (process.env.LOCKNE_REQUIRE_KERNEL === '1') throw new Error(`${what} is not installed (LOCKNE_REQUIRE_KERNEL=1 forbids skipping)`);
  t.skip(`${what} is not installed`);
  return false;
}

/** A temporary directory to compile into; dispose() removes it. */
export class Cc {
  readonly dir = mkdtempSync(join(tmpdir(), 'lockne-obj-'));

  /** `clang -O2 -g -target <target> -c` of PRELUDE + `src`; returns the object's path. */
  bpf(name: string, src: string, target = 'bpf', extra: string[] = []): string {
    const c = join(this.dir, `${name}.bpf.c`);
    const o = join(this.dir, `${name}-${target}.o`);
    writeFileSync(c, PRELUDE + src);
    const r = spawnSync('clang', ['-O2', '-g', '-target', target, ...extra, '-c', c, '-o', o], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`clang failed for ${name}:\n${r.stderr}`);
    return o;
  }

  /** Host object built by gcc (x86-64 or whatever this machine is), for the wrong-machine test. */
  host(name: string, src: string): string {
    const c = join(this.dir, `${name}.c`);
    const o = join(this.dir, `${name}.o`);
    writeFileSync(c, src);
    const r = spawnSync('gcc', ['-c', c, '-o', o], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc failed:\n${r.stderr}`);
    return o;
  }

  read(path: string): Uint8Array {
    return new Uint8Array(readFileSync(path));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Instruction bytes per function, as llvm-objdump prints them: name → hex of each 8-byte slot. */
export function objdumpFunctions(path: string): Map<string, string[]> {
  const r = spawnSync('llvm-objdump', ['-d', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`llvm-objdump failed:\n${r.stderr}`);
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of r.stdout.split('\n')) {
    const head = /^[0-9a-f]+ <([^>]+)>:$/.exec(line);
    // Local branch labels (LBB0_2) continue the function they are in.
    if (head && /^LBB\d/.test(head[1]!)) continue;
    if (head) { cur = []; out.set(head[1]!, cur); continue; }
    const m = /^\s*[0-9a-f]+:\t([0-9a-f ]+)\t/.exec(line);
    if (!m || !cur) continue;
    const hex = m[1]!.replace(/\s+/g, '');
    for (let i = 0; i < hex.length; i += 16) cur.push(hex.slice(i, i + 16));
  }
  return out;
}
