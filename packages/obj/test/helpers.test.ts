import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as obj from '../src/index.js';
import { HELPER_NAMES, MAX_HELPER_ID, helperId, helperName } from '../src/index.js';

test('helper table matches the kernel numbering', () => {
  assert.equal(helperName(1), 'bpf_map_lookup_elem');
  assert.equal(helperName(5), 'bpf_ktime_get_ns');
  assert.equal(helperName(12), 'bpf_tail_call');
  assert.equal(helperName(25), 'bpf_perf_event_output');
  assert.equal(helperName(130), 'bpf_ringbuf_output');
  assert.equal(helperName(209), 'bpf_user_ringbuf_drain');
  assert.equal(helperName(211), 'bpf_cgrp_storage_delete');
  assert.equal(MAX_HELPER_ID, 211);
  assert.equal(HELPER_NAMES.length, 212);
});

test('lookup works both ways, with or without the bpf_ prefix', () => {
  for (let id = 1; id <= MAX_HELPER_ID; id++) assert.equal(helperId(helperName(id)!), id);
  assert.equal(helperId('map_update_elem'), 2);
  assert.equal(helperId('bpf_nope'), undefined);
  assert.equal(helperId('unspec'), undefined);
  assert.equal(helperName(0), undefined);
  assert.equal(helperName(212), undefined);
  assert.equal(helperName(-1), undefined);
  assert.equal(new Set(HELPER_NAMES).size, HELPER_NAMES.length);
});

test('opcode constants', () => {
  assert.equal(obj.BPF_LD_IMM64, 0x18);
  assert.equal(obj.BPF_CALL_INSN, 0x85);
  assert.equal(obj.BPF_EXIT_INSN, 0x95);
  assert.equal(obj.BPF_ALU64 | obj.BPF_MOV | obj.BPF_K, 0xb7);
  assert.equal(obj.BPF_STX | obj.BPF_ATOMIC | obj.BPF_DW, 0xdb);
  assert.equal(obj.BPF_LDX | obj.BPF_MEMSX | obj.BPF_H, 0x89);
  assert.equal(obj.BPF_JMP32 | obj.BPF_JA, 0x06);
  assert.equal(obj.BPF_XCHG, 0xe1);
  assert.equal(obj.BPF_CMPXCHG, 0xf1);
  assert.equal(obj.bpfClass(0xdb), obj.BPF_STX);
  assert.equal(obj.bpfMode(0xdb), obj.BPF_ATOMIC);
  assert.equal(obj.bpfSize(0xdb), obj.BPF_DW);
  assert.equal(obj.bpfOp(0x2d), obj.BPF_JGT);
  assert.equal(obj.bpfSrc(0x2d), obj.BPF_X);
});
