// Test support: small programs shared by the network attach tests.
import { assemble } from '@lockne/obj';
import { BpfMap } from '../../src/maps/map.js';
import { u32, u64 } from '../../src/maps/codec.js';
import { Program, type ProgramLoadOptions } from '../../src/programs/program.js';

/** A one-slot ARRAY map of u64 counters. Close it. */
export function counterMap(name = 'lk_count'): BpfMap<number, bigint> {
  return BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 1, name });
}

/**
 * A program that adds 1 to counter slot 0 of `map` for every run and returns
 * `ret` (the verdict: TC_ACT_OK, XDP_PASS, 1 = allow for cgroup_skb ...).
 */
export function countingProgram(opts: Omit<ProgramLoadOptions, 'instructions'>, map: BpfMap<number, bigint>, ret: number): Program {
  const instructions = assemble(`
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = map[counts] ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
  out:
    r0 = ${ret}
    exit
  `, { maps: { counts: map.fd } });
  return Program.load({ ...opts, instructions });
}

/** `r0 = ret; exit` of any type. */
export function constantProgram(opts: Omit<ProgramLoadOptions, 'instructions'>, ret: number): Program {
  return Program.load({ ...opts, instructions: assemble(`r0 = ${ret}\nexit`) });
}
