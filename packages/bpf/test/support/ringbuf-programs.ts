// Ring buffer test programs shared by events-ringbuf.test.ts and
// fast-paths.test.ts: a SCHED_CLS producer run by BPF_PROG_TEST_RUN, its
// counters, the packets it copies, and how to read a record's sequence number.
import { assemble } from '@lockne/obj';
import { BpfMap, Program, missingReason, probeMapType } from '../../src/index.js';
import { needRoot } from './kernel.js';

/** Bytes per record the producer emits. */
export const REC = 128;

export function needRingbuf(): string | null {
  return needRoot() ?? missingReason(probeMapType('RINGBUF'));
}

export /** An ARRAY with one 16-byte value: [u64 next seq, u64 failed outputs]. */
function counterMap(): BpfMap {
  return BpfMap.create({ type: 'ARRAY', keySize: 4, valueSize: 16, maxEntries: 1, name: 'lk_rb_cnt' });
}

export function counters(m: BpfMap): { seq: number; drops: number } {
  const v = m.getBytes(new Uint8Array(4))!;
  const dv = new DataView(v.buffer, v.byteOffset);
  return { seq: Number(dv.getBigUint64(0, true)), drops: Number(dv.getBigUint64(8, true)) };
}

export /**
 * SCHED_CLS: copy the packet's first 128 bytes to the stack, put a sequence
 * number in the first 8, bpf_ringbuf_output them; count failed outputs.
 */
function outputProgram(events: { fd: number }, cnt: BpfMap, name = 'lk_rb_output'): Program {
  const text = `
    r6 = r1
    *(u32 *)(r10 - 4) = 0
    r1 = map[cnt] ll
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r7 = r0
    r1 = r6
    r2 = 0
    r3 = r10
    r3 += -136
    r4 = ${REC}
    call bpf_skb_load_bytes
    if r0 != 0 goto out
    r1 = 1
    r1 = atomic_fetch_add((u64 *)(r7 + 0), r1)
    *(u64 *)(r10 - 136) = r1
    r1 = map[events] ll
    r2 = r10
    r2 += -136
    r3 = ${REC}
    r4 = 0
    call bpf_ringbuf_output
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r7 + 8) += r1
  out:
    r0 = 0
    exit`;
  return Program.load({ type: 'SCHED_CLS', name, instructions: assemble(text, { maps: { events: events.fd, cnt: cnt.fd } }) });
}

export /** A packet whose bytes 8..127 are `fill + i`. */
function packet(fill: number): Uint8Array {
  return new Uint8Array(REC).map((_, i) => (fill + i) & 0xff);
}

export function seqOf(rec: Uint8Array): number {
  return Number(new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getBigUint64(0, true));
}

/** The sequence number at the start of the record at `offset` in `data` (onRecord mode). */
export function seqAt(data: Uint8Array, offset: number): number {
  return Number(new DataView(data.buffer, data.byteOffset + offset, 8).getBigUint64(0, true));
}

/** SCHED_CLS: per run, reserve 16 bytes and discard them, then reserve 16 (0x5555...) and submit. */
export function discardThenSubmitProgram(events: { fd: number }, name: string): Program {
  const text = `
    r1 = map[events] ll
    r2 = 16
    r3 = 0
    call bpf_ringbuf_reserve
    if r0 == 0 goto second
    r1 = 0xdddd
    *(u64 *)(r0 + 0) = r1
    *(u64 *)(r0 + 8) = r1
    r1 = r0
    r2 = 0
    call bpf_ringbuf_discard
  second:
    r1 = map[events] ll
    r2 = 16
    r3 = 0
    call bpf_ringbuf_reserve
    if r0 == 0 goto out
    r1 = 0x5555
    *(u64 *)(r0 + 0) = r1
    *(u64 *)(r0 + 8) = r1
    r1 = r0
    r2 = 0
    call bpf_ringbuf_submit
  out:
    r0 = 0
    exit`;
  return Program.load({ type: 'SCHED_CLS', name, instructions: assemble(text, { maps: { events: events.fd } }) });
}

/**
 * Assembly for big records: look up element 0 of the ARRAY map `source`
 * (jumping to `out` when absent), bump the u64 sequence number at the start
 * of its value, and leave the value's address in r0. Clobbers r1-r5.
 */
export const BUMP_SOURCE_SEQ = `
  *(u32 *)(r10 - 4) = 0
  r1 = map[source] ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1`;
