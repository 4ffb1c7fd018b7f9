// Feature probes: the known truths of this machine (KERNEL-NOTES.md), agreement
// with real loads, and the per-process cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '@lockne/obj';
import {
  BpfMap, NotSupportedError, Program, ProgType, VerifierError, missingReason, probeAll, probeHelper, probeMapType,
  probeProgramType, probeSyscallCount, requireSupported,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

test('program and map types this kernel supports', (t) => {
  if (skipUnless(t, needRoot())) return;
  for (const type of ['SOCKET_FILTER', 'SCHED_CLS', 'XDP', 'CGROUP_SKB', 'CGROUP_SOCK', 'CGROUP_SOCK_ADDR', 'RAW_TRACEPOINT', 'TRACEPOINT', 'SK_LOOKUP', 'SYSCALL'] as const) {
    assert.equal(probeProgramType(type).status, 'supported', `${type}: ${probeProgramType(type).reason}`);
  }
  for (const type of ['HASH', 'ARRAY', 'PERCPU_ARRAY', 'LRU_HASH', 'RINGBUF', 'PERF_EVENT_ARRAY', 'HASH_OF_MAPS', 'SK_STORAGE', 'CGRP_STORAGE', 'ARENA'] as const) {
    assert.equal(probeMapType(type).status, 'supported', `${type}: ${probeMapType(type).reason}`);
  }
  // struct_ops is known but needs real BTF: the probe recognizes the kernel's ENOTSUPP.
  assert.equal(probeMapType('STRUCT_OPS').status, 'supported');
  assert.match(probeMapType('STRUCT_OPS').reason, /ENOTSUPP/);
});

test('what this kernel refuses is reported unsupported, with the evidence', (t) => {
  if (skipUnless(t, needRoot())) return;
  // KERNEL-NOTES: fentry/fexit/LSM loads fail with EPERM and an empty log here.
  for (const type of ['TRACING', 'LSM', 'EXT'] as const) {
    const r = probeProgramType(type);
    assert.equal(r.status, 'unsupported', `${type}: ${r.reason}`);
    assert.match(r.reason, /EPERM with an empty log/);
    assert.equal(r.feature, `program type ${type}`);
  }
  // No lirc driver support built in.
  assert.equal(probeProgramType('LIRC_MODE2').status, 'unsupported');
  assert.equal(probeProgramType('UNSPEC').status, 'unsupported');
  assert.throws(() => requireSupported(probeProgramType('TRACING')), (e: unknown) =>
    e instanceof NotSupportedError && /program type TRACING is unsupported on this kernel: BPF_PROG_LOAD: EPERM/.test(e.message));
  assert.equal(missingReason(probeProgramType('XDP')), null);
  assert.match(missingReason(probeProgramType('LSM')) ?? '', /^program type LSM: unsupported \(/);
});

test('probe verdicts agree with real loads', (t) => {
  if (skipUnless(t, needRoot())) return;
  // supported → a real map of that type can be created
  assert.equal(probeMapType('RINGBUF').status, 'supported');
  const rb = BpfMap.create({ type: 'RINGBUF', keySize: 0, valueSize: 0, maxEntries: 4096 });
  rb.close();
  // unsupported → a real fentry load fails the way the probe said
  assert.equal(probeProgramType('TRACING').status, 'unsupported');
  assert.throws(() => Program.load({ type: 'TRACING', expectedAttachType: 'TRACE_FENTRY', attachBtfId: 1, instructions: assemble('r0 = 0; exit') }),
    (e: unknown) => e instanceof VerifierError && e.code === 'EPERM' && e.log === '');
  // helper unsupported → a real program calling it is rejected by the verifier for that reason
  assert.equal(probeHelper('XDP', 'bpf_skb_load_bytes').status, 'unsupported');
  assert.throws(() => Program.load({ type: 'XDP', instructions: assemble('r2 = 0; r3 = r10; r3 += -8; r4 = 4; call bpf_skb_load_bytes; r0 = 2; exit') }),
    (e: unknown) => e instanceof VerifierError && /cannot use helper bpf_skb_load_bytes/.test(e.log));
});

test('helpers per program type', (t) => {
  if (skipUnless(t, needRoot())) return;
  const lookup = probeHelper('SCHED_CLS', 'bpf_map_lookup_elem');
  assert.equal(lookup.status, 'supported', lookup.reason);
  assert.equal(lookup.feature, 'helper bpf_map_lookup_elem in SCHED_CLS');
  assert.equal(probeHelper('SCHED_CLS', 'get_socket_cookie').status, 'supported', 'bpf_ prefix optional');
  assert.equal(probeHelper('XDP', 'bpf_redirect').status, 'supported');
  assert.equal(probeHelper('XDP', 'bpf_xdp_adjust_head').status, 'supported');
  // socket helpers do not exist in XDP (no socket), skb helpers do not either
  for (const h of ['bpf_get_socket_cookie', 'bpf_skb_load_bytes', 'bpf_skb_store_bytes']) {
    const r = probeHelper('XDP', h);
    assert.equal(r.status, 'unsupported', `${h}: ${r.reason}`);
    assert.match(r.reason, /^verifier: program of this type cannot use helper bpf_/);
  }
  assert.equal(probeHelper('SCHED_CLS', 'bpf_xdp_adjust_head').status, 'unsupported');
  // Measured on 6.18: bpf_get_current_pid_tgid is in the base helper set, allowed even in XDP.
  assert.equal(probeHelper('XDP', 'bpf_get_current_pid_tgid').status, 'supported');
  // KERNEL-NOTES: bpf_probe_write_user is refused (lockdown).
  assert.equal(probeHelper('KPROBE', 'bpf_probe_write_user').status, 'unsupported');
  // Known to the kernel but never callable here, each with its own verifier wording.
  assert.match(probeHelper('SCHED_CLS', 'bpf_copy_from_user').reason, /might sleep in a non-sleepable prog/);
  assert.equal(probeHelper('SCHED_CLS', 'bpf_copy_from_user').status, 'unsupported');
  assert.equal(probeHelper('TRACEPOINT', 'bpf_get_func_ip').status, 'unsupported');
  // struct_ops programs need a real target: the probe says it cannot tell.
  assert.equal(probeHelper('STRUCT_OPS', 'bpf_map_lookup_elem').status, 'unknown');
  // An id no kernel has.
  const bogus = probeHelper('SCHED_CLS', 9999);
  assert.equal(bogus.status, 'unsupported');
  assert.match(bogus.reason, /invalid func unknown#9999/);
  // A helper in a program type this kernel refuses: unsupported, saying why.
  const inTracing = probeHelper('TRACING', 'bpf_map_lookup_elem');
  assert.equal(inTracing.status, 'unsupported');
  assert.match(inTracing.reason, /^program type TRACING is unsupported/);
  assert.throws(() => probeHelper('XDP', 'bpf_no_such_helper'), /unknown helper 'bpf_no_such_helper'/);
});

test('answers are cached: a second round makes no syscalls', (t) => {
  if (skipUnless(t, needRoot())) return;
  const first = probeAll({ helpers: ['XDP'] });
  const before = probeSyscallCount();
  const second = probeAll({ helpers: ['XDP'] });
  assert.equal(probeSyscallCount(), before, 'no bpf() calls on the second round');
  assert.deepEqual(second, first);
  assert.equal(probeMapType('HASH'), first.mapTypes.HASH, 'the very same cached object');
  assert.equal(probeMapType(1), first.mapTypes.HASH, 'by number or by name');
  assert.equal(probeSyscallCount(), before);
  // The table is complete and honest.
  assert.equal(Object.keys(first.programTypes).length, Object.keys(ProgType).length - 1, 'every type but UNSPEC');
  assert.equal(first.programTypes.SCHED_CLS?.status, 'supported');
  assert.equal(first.mapTypes.ARRAY?.status, 'supported');
  assert.equal(first.helpers.XDP?.bpf_redirect?.status, 'supported');
  assert.equal(first.helpers.XDP?.bpf_skb_load_bytes?.status, 'unsupported');
});
