// Type-level checks of typed(): this file only has to compile (it is part of
// the build, and userspace-typed.test.ts also runs tsc over it). `Equal` is
// exact, so `bigint | undefined` where `u64 | undefined` or `any` leaked in fails.
import type { BpfObject, BpfMap, ObjectProgram } from '@lockne/bpf';
import { typed } from '../../src/index.js';
import * as conn from './conn.bpf.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
export function expectType<T extends true>(): T | undefined { return undefined; }

export function check(obj: BpfObject): void {
  const t = typed(obj, conn);
  const c = t.maps.conns.get(1n);
  expectType<Equal<typeof c, { packets: bigint; bytes: bigint; lastLen: number; port: number; tag: number[] } | undefined>>();
  expectType<Equal<typeof t.maps.conns, BpfMap<bigint, { packets: bigint; bytes: bigint; lastLen: number; port: number; tag: number[] }>>>();
  expectType<Equal<ReturnType<typeof t.maps.stats.get>, number | undefined>>();
  expectType<Equal<ReturnType<typeof t.maps.seen.get>, bigint | undefined>>();
  // Per-CPU: one value per possible CPU.
  expectType<Equal<ReturnType<typeof t.maps.perCpuRuns.get>, bigint[] | undefined>>();
  expectType<Equal<typeof t.programs.track, ObjectProgram>>();
  // Only maps and programs: the struct descriptor `Conn` is neither.
  expectType<Equal<keyof typeof t.maps, 'conns' | 'stats' | 'seen' | 'perCpuRuns'>>();
  expectType<Equal<keyof typeof t.programs, 'track'>>();
  t.maps.conns.set(2n, { packets: 1n, bytes: 64n, lastLen: 64, port: 0, tag: [0, 0, 0] });
  t.maps.stats.set(0, 5);
}
