// probeProgramType: can this kernel load a program of a given type? The probe
// loads `r0 = 0; exit` with the attributes the type insists on (libbpf's
// approach) and classifies the errno. Works on any kernel with bpf(2) (3.18+);
// expected_attach_type needs 4.17, attach_btf_id 5.5.
//
// @example
// probeProgramType('XDP').status // 'supported'
import { encode } from '../sys/layout.js';
import { ProgLoadAttr } from '../sys/attrs.js';
import { AttachType, ProgFlags, ProgType, enumName, type AttachTypeName, type ProgTypeName } from '../sys/consts.js';
import { Errno, errnoName } from '../sys/errno.js';
import { native } from '../sys/native.js';
import { ArgumentError } from '../errors.js';
import { cached, logText, probeBpf, unprivileged, type ProbeResult } from './result.js';

/** r0 = 0; exit */
const RETURN_ZERO = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
const GPL = new TextEncoder().encode('GPL\0');
const LOG_SIZE = 4096;

/** Types whose load is refused without an expected attach type. */
const EXPECTED_ATTACH: Partial<Record<ProgTypeName, AttachTypeName>> = {
  CGROUP_SOCK_ADDR: 'CGROUP_INET4_CONNECT',
  CGROUP_SOCKOPT: 'CGROUP_GETSOCKOPT',
  SK_LOOKUP: 'SK_LOOKUP',
  LIRC_MODE2: 'LIRC_MODE2',
  NETFILTER: 'NETFILTER',
  TRACING: 'TRACE_FENTRY',
  LSM: 'LSM_MAC',
};

/**
 * Types that need a real attach target. We ask with btf id 1 (never a
 * function): a kernel that knows the type refuses with EINVAL and this message.
 */
const NEEDS_TARGET: Partial<Record<ProgTypeName, string>> = {
  TRACING: 'is not a function',
  LSM: 'is not a function',
  EXT: 'Cannot replace kernel functions',
};

export function progTypeNumber(t: ProgTypeName | number): number {
  if (typeof t === 'number') return t;
  const n = ProgType[t];
  if (n === undefined) throw new ArgumentError(`unknown program type '${String(t)}'`);
  return n;
}

/** Load attributes that let a minimal program of `type` reach the verifier. */
export function minimalLoadAttrs(type: number): { expected_attach_type: number; attach_btf_id: number; prog_flags: number } {
  const name = enumName(ProgType, type) as ProgTypeName;
  const attach = EXPECTED_ATTACH[name];
  return {
    expected_attach_type: attach ? AttachType[attach] : 0,
    attach_btf_id: NEEDS_TARGET[name] ? 1 : 0,
    // SYSCALL programs must be sleepable.
    prog_flags: name === 'SYSCALL' ? ProgFlags.SLEEPABLE : 0,
  };
}

/** Does the kernel know and allow programs of `type`? Cached per process. */
export function probeProgramType(type: ProgTypeName | number): ProbeResult {
  const n = progTypeNumber(type);
  const name = enumName(ProgType, n);
  return cached(`prog:${n}`, () => classify(n, name));
}

function classify(type: number, name: string): ProbeResult {
  const feature = `program type ${name}`;
  if (type === ProgType.UNSPEC) return { feature, status: 'unsupported', reason: 'UNSPEC is not a program type' };
  const log = new Uint8Array(LOG_SIZE);
  const { ret } = probeBpf('PROG_LOAD', encode(ProgLoadAttr, {
    prog_type: type, insn_cnt: 2, insns: RETURN_ZERO, license: GPL,
    log_level: 1, log_size: LOG_SIZE, log_buf: log, ...minimalLoadAttrs(type),
  }));
  if (ret >= 0) {
    native.close(ret);
    return { feature, status: 'supported', reason: 'BPF_PROG_LOAD accepted a minimal program' };
  }
  const errno = -ret;
  const text = logText(log);
  const expected = NEEDS_TARGET[name as ProgTypeName];
  if (expected && errno === Errno.EINVAL && text.includes(expected)) {
    return { feature, status: 'supported', reason: `known type: a fake attach target was refused with "${expected}"` };
  }
  if (type === ProgType.STRUCT_OPS && errno === Errno.ENOTSUPP) {
    return { feature, status: 'supported', reason: 'known type: refused with ENOTSUPP for want of a struct_ops BTF type' };
  }
  if (errno === Errno.EPERM && unprivileged()) {
    return { feature, status: 'unknown', reason: 'BPF_PROG_LOAD: EPERM without root (needs CAP_BPF)' };
  }
  if (errno === Errno.EPERM && !text.trim()) {
    return { feature, status: 'unsupported', reason: 'BPF_PROG_LOAD: EPERM with an empty log (the kernel forbids this type here)' };
  }
  if (errno === Errno.EINVAL && !text.trim()) {
    return { feature, status: 'unsupported', reason: 'BPF_PROG_LOAD: EINVAL with an empty log (type unknown to this kernel or not built in)' };
  }
  // The verifier ran and refused our minimal program: the type exists, but we
  // cannot say whether a real program of it would load.
  const last = text.trim().split('\n').filter((l) => !l.startsWith('processed ')).pop() ?? '';
  return { feature, status: 'unknown', reason: `BPF_PROG_LOAD: ${errnoName(errno)}${last ? ` (${last})` : ''}` };
}
