// probeHelper: may a program of a given type call a given helper? The probe
// loads `call <helper>; exit` and reads the verifier log: the kernel names an
// unknown or forbidden helper ("invalid func", "unknown func", or since 6.x
// "program of this type cannot use helper"); any other verdict means the call
// itself was accepted (the arguments being wrong for our tiny program is fine).
// Any kernel with bpf(2). The older wordings are the ones libbpf matches; the
// 6.x ones were measured on 6.18.
//
// @example
// probeHelper('SCHED_CLS', 'bpf_map_lookup_elem').status // 'supported'
import { MAX_HELPER_ID, helperId, helperName } from '@lockne/obj';
import { encode } from '../sys/layout.js';
import { ProgLoadAttr } from '../sys/attrs.js';
import { ProgType, enumName, type ProgTypeName } from '../sys/consts.js';
import { Errno, errnoName } from '../sys/errno.js';
import { native } from '../sys/native.js';
import { ArgumentError } from '../errors.js';
import { cached, logText, probeBpf, unprivileged, type ProbeResult } from './result.js';
import { minimalLoadAttrs, probeProgramType, progTypeNumber } from './program-type.js';

const GPL = new TextEncoder().encode('GPL\0');
const LOG_SIZE = 4096;
/** Verifier messages that mean "this program type may not call this helper". */
const REFUSED = [
  /invalid func [^\n]*/, // helper id unknown to the kernel
  /unknown func [^\n]*/, // known helper, not for this type (before 6.x)
  /program of this type cannot use helper [^\n]*/, // the same, 6.x wording
  /func \S+ not supported for program type [^\n]*/, // e.g. bpf_get_func_ip outside kprobes/tracing
  /helper call might sleep in a non-sleepable prog[^\n]*/, // sleepable-only helper
  /helper call is not allowed in probe[^\n]*/, // e.g. sk_storage in SYSCALL programs
];

/** Types whose programs only load with a real attach target: their helpers cannot be probed this way. */
const NEEDS_TARGET = new Set<number>([ProgType.TRACING, ProgType.LSM, ProgType.EXT, ProgType.STRUCT_OPS]);

/** A helper id from an id or a name ('bpf_redirect' or 'redirect'). */
export function helperNumber(helper: number | string): number {
  if (typeof helper === 'number') {
    if (!Number.isInteger(helper) || helper < 1 || helper > 0x7fffffff) throw new ArgumentError(`helper id ${helper} is not a positive integer`);
    return helper;
  }
  const id = helperId(helper);
  if (id === undefined) throw new ArgumentError(`unknown helper '${helper}'`);
  return id;
}

/** `call id; exit` */
function callInsns(id: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = 0x85; // BPF_JMP | BPF_CALL
  new DataView(b.buffer).setInt32(4, id, true);
  b[8] = 0x95; // BPF_JMP | BPF_EXIT
  return b;
}

/** May programs of `progType` call `helper`? Cached per process. */
export function probeHelper(progType: ProgTypeName | number, helper: number | string): ProbeResult {
  const type = progTypeNumber(progType);
  const id = helperNumber(helper);
  return cached(`helper:${type}:${id}`, () => classify(type, id));
}

function classify(type: number, id: number): ProbeResult {
  const typeName = enumName(ProgType, type);
  const feature = `helper ${helperName(id) ?? `#${id}`} in ${typeName}`;
  const progType = probeProgramType(type);
  if (progType.status !== 'supported') {
    return { feature, status: progType.status === 'unsupported' ? 'unsupported' : 'unknown', reason: `${progType.feature} is ${progType.status}: ${progType.reason}` };
  }
  if (NEEDS_TARGET.has(type)) {
    return { feature, status: 'unknown', reason: `a ${typeName} program needs a real attach target, which a probe cannot invent` };
  }
  const log = new Uint8Array(LOG_SIZE);
  const { ret } = probeBpf('PROG_LOAD', encode(ProgLoadAttr, {
    prog_type: type, insn_cnt: 2, insns: callInsns(id), license: GPL,
    log_level: 1, log_size: LOG_SIZE, log_buf: log, ...minimalLoadAttrs(type),
  }));
  if (ret >= 0) {
    native.close(ret);
    return { feature, status: 'supported', reason: 'BPF_PROG_LOAD accepted the call' };
  }
  const text = logText(log);
  for (const re of REFUSED) {
    const m = re.exec(text);
    if (m) return { feature, status: 'unsupported', reason: `verifier: ${m[0]}` };
  }
  if (-ret === Errno.EPERM && unprivileged()) {
    return { feature, status: 'unknown', reason: 'BPF_PROG_LOAD: EPERM without root (needs CAP_BPF)' };
  }
  if (!text.trim()) {
    return { feature, status: 'unknown', reason: `BPF_PROG_LOAD: ${errnoName(-ret)} before verification` };
  }
  const last = text.trim().split('\n').filter((l) => !l.startsWith('processed ')).pop() ?? '';
  return { feature, status: 'supported', reason: `call accepted; the tiny program then failed on: ${last}` };
}

/** Every helper id this build knows, 1..MAX_HELPER_ID. */
export function knownHelperIds(): number[] {
  return Array.from({ length: MAX_HELPER_ID }, (_, i) => i + 1);
}
