// perf_event_open(2) for attaching programs: struct perf_event_attr, the event
// type and config numbers, PERF_EVENT_IOC_* and the dynamic PMUs (uprobe,
// kprobe) found under /sys/bus/event_source/devices. Numbers follow
// include/uapi/linux/perf_event.h; test/links-trace.test.ts compares them with
// the header. The perf buffer reader (events/perfbuf.ts) uses it too.
import fs from 'node:fs';
import { native, type PointerPatch } from './native.js';
import { encode, struct, type Values } from './layout.js';
import { NotSupportedError, SyscallError } from '../errors.js';

/** struct perf_event_attr up to config3 (PERF_ATTR_SIZE_VER8, 136 bytes). */
export const PerfEventAttr = struct('perf_event_attr', 'struct perf_event_attr', {
  type: { offset: 0, type: 'u32' },
  size: { offset: 4, type: 'u32' },
  config: { offset: 8, type: 'u64' },
  sample_period: { offset: 16, type: 'u64' },
  sample_freq: { offset: 16, type: 'u64' },
  sample_type: { offset: 24, type: 'u64' },
  read_format: { offset: 32, type: 'u64' },
  /** The bitfield word (disabled, inherit, ..., freq, ...): see PerfAttrFlag. No offsetof for it. */
  flags: { offset: 40, type: 'u64' },
  wakeup_events: { offset: 48, type: 'u32' },
  bp_type: { offset: 52, type: 'u32' },
  config1: { offset: 56, type: 'u64' },
  /** config1 as a pointer to a NUL-terminated path (uprobe PMU). */
  uprobe_path: { offset: 56, type: 'ptr' },
  /** config1 as a pointer to a NUL-terminated symbol (kprobe PMU). */
  kprobe_func: { offset: 56, type: 'ptr' },
  config2: { offset: 64, type: 'u64' },
  /** config2: the file offset (uprobe) or offset from the symbol (kprobe). */
  probe_offset: { offset: 64, type: 'u64' },
  branch_sample_type: { offset: 72, type: 'u64' },
  sample_regs_user: { offset: 80, type: 'u64' },
  sample_stack_user: { offset: 88, type: 'u32' },
  clockid: { offset: 92, type: 's32' },
  sample_regs_intr: { offset: 96, type: 'u64' },
  aux_watermark: { offset: 104, type: 'u32' },
  sample_max_stack: { offset: 108, type: 'u16' },
  aux_sample_size: { offset: 112, type: 'u32' },
  sig_data: { offset: 120, type: 'u64' },
  config3: { offset: 128, type: 'u64', newerThanHeader: true },
}, 136);
export type PerfEventAttrValues = Values<typeof PerfEventAttr.fields>;

/** Bits of the bitfield word at offset 40, in declaration order. */
export const PerfAttrFlag = {
  disabled: 1n << 0n, inherit: 1n << 1n, pinned: 1n << 2n, exclusive: 1n << 3n,
  exclude_user: 1n << 4n, exclude_kernel: 1n << 5n, exclude_hv: 1n << 6n, exclude_idle: 1n << 7n,
  mmap: 1n << 8n, comm: 1n << 9n, freq: 1n << 10n, inherit_stat: 1n << 11n, enable_on_exec: 1n << 12n,
  task: 1n << 13n, watermark: 1n << 14n,
} as const;

/** PERF_TYPE_* (perf_type_id). Dynamic PMUs (uprobe, kprobe) have numbers from sysfs. */
export const PerfType = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2, HW_CACHE: 3, RAW: 4, BREAKPOINT: 5 } as const;

/** PERF_COUNT_SW_* (perf_sw_ids). */
export const PerfSoftware = {
  CPU_CLOCK: 0, TASK_CLOCK: 1, PAGE_FAULTS: 2, CONTEXT_SWITCHES: 3, CPU_MIGRATIONS: 4,
  PAGE_FAULTS_MIN: 5, PAGE_FAULTS_MAJ: 6, ALIGNMENT_FAULTS: 7, EMULATION_FAULTS: 8, DUMMY: 9,
  BPF_OUTPUT: 10, CGROUP_SWITCHES: 11,
} as const;
export type PerfSoftwareName = keyof typeof PerfSoftware;

/** PERF_COUNT_HW_* (perf_hw_id). */
export const PerfHardware = {
  CPU_CYCLES: 0, INSTRUCTIONS: 1, CACHE_REFERENCES: 2, CACHE_MISSES: 3, BRANCH_INSTRUCTIONS: 4,
  BRANCH_MISSES: 5, BUS_CYCLES: 6, STALLED_CYCLES_FRONTEND: 7, STALLED_CYCLES_BACKEND: 8, REF_CPU_CYCLES: 9,
} as const;

/** perf_event_open flags. */
export const PerfFlag = { FD_NO_GROUP: 1, FD_OUTPUT: 2, PID_CGROUP: 4, FD_CLOEXEC: 8 } as const;

/** PERF_EVENT_IOC_* request numbers (_IO/_IOW/_IOR('$', n, ...) on x86-64, arm64 and friends). */
export const PerfIoc = {
  ENABLE: 0x2400, DISABLE: 0x2401, REFRESH: 0x2402, RESET: 0x2403, PERIOD: 0x40082404,
  SET_OUTPUT: 0x2405, SET_FILTER: 0x40082406, ID: 0x80082407, SET_BPF: 0x40042408,
  PAUSE_OUTPUT: 0x40042409, QUERY_BPF: 0xc008240a, MODIFY_ATTRIBUTES: 0x4008240b,
} as const;

/**
 * perf_event_open(2) with the attr laid out from `values` (size is filled in).
 * Returns the new fd (close-on-exec) or throws SyscallError('perf_event_open')
 * naming `what`.
 */
export function perfEventOpen(values: PerfEventAttrValues, opts: {
  pid?: number; cpu?: number; groupFd?: number; flags?: number; what: string;
}): number {
  const enc = encode(PerfEventAttr, { size: PerfEventAttr.size, ...values });
  const pointers: PointerPatch[] = enc.pointers;
  const ret = native.perfEventOpen(enc.bytes, opts.pid ?? -1, opts.cpu ?? -1, opts.groupFd ?? -1,
    (opts.flags ?? 0) | PerfFlag.FD_CLOEXEC, pointers);
  if (ret < 0) throw new SyscallError('perf_event_open', -ret, opts.what);
  return ret;
}

/** ioctl on a perf event fd; throws SyscallError naming the request. */
export function perfIoctl(fd: number, request: keyof typeof PerfIoc, arg: number | bigint = 0, what = `perf event fd ${fd}`): void {
  const ret = native.ioctl(fd, PerfIoc[request], arg);
  if (ret < 0) throw new SyscallError(`ioctl(PERF_EVENT_IOC_${request})`, -ret, what);
}

/** Where the kernel lists its PMUs. */
export const PMU_DIR = '/sys/bus/event_source/devices';

export interface DynamicPmu {
  /** The number for perf_event_attr.type. */
  readonly type: number;
  /** The config bit that turns a probe into a return probe (format/retprobe). */
  readonly retprobeBit: number | undefined;
}

const pmuCache = new Map<string, DynamicPmu>();

/**
 * A dynamic PMU's type number and retprobe bit from sysfs (e.g. 'uprobe',
 * 'kprobe'). Throws NotSupportedError naming the file when the PMU is absent:
 * the kernel was built without it (CONFIG_UPROBE_EVENTS / CONFIG_KPROBE_EVENTS).
 */
export function dynamicPmu(name: string): DynamicPmu {
  const hit = pmuCache.get(name);
  if (hit) return hit;
  const typePath = `${PMU_DIR}/${name}/type`;
  let text: string;
  try {
    text = fs.readFileSync(typePath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new NotSupportedError(`${name} PMU missing: ${typePath}: ${code}` +
      (code === 'ENOENT' ? ` (kernel built without CONFIG_${name.toUpperCase()}_EVENTS)` : ''));
  }
  const type = Number(text.trim());
  let retprobeBit: number | undefined;
  try {
    // "config:0" -> bit 0 of config.
    const m = /^config:(\d+)\s*$/.exec(fs.readFileSync(`${PMU_DIR}/${name}/format/retprobe`, 'utf8'));
    if (m) retprobeBit = Number(m[1]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const pmu = { type, retprobeBit };
  pmuCache.set(name, pmu);
  return pmu;
}

/** Online CPUs, from /sys/devices/system/cpu/online ("0-1,4"): perf_event_open on an offline CPU fails. */
export function onlineCpus(): number[] {
  const text = fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  const out: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a!; c <= (b ?? a!); c++) out.push(c);
  }
  return out;
}
