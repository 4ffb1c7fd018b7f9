// What the perf buffer reads and writes besides the attr (which is in
// sys/perf.ts): the control page at the start of a perf event's mmap, the
// record header, the record types and the attr of a BPF output event.
// Numbers from include/uapi/linux/perf_event.h; test/events-perfbuf.test.ts
// compares the offsets with the header.
import { struct } from '../sys/layout.js';
import { PerfAttrFlag, PerfSoftware, PerfType, type PerfEventAttrValues } from '../sys/perf.js';

/** struct perf_event_mmap_page: the fields a ring reader uses. */
export const PerfMmapPage = struct('perf_event_mmap_page', 'struct perf_event_mmap_page', {
  data_head: { offset: 1024, type: 'u64' },
  data_tail: { offset: 1032, type: 'u64' },
  data_offset: { offset: 1040, type: 'u64' },
  data_size: { offset: 1048, type: 'u64' },
});

/** struct perf_event_header, the start of every record in the ring. */
export const PerfEventHeader = struct('perf_event_header', 'struct perf_event_header', {
  type: { offset: 0, type: 'u32' },
  misc: { offset: 4, type: 'u16' },
  size: { offset: 6, type: 'u16' },
});

/** perf_event_attr.sample_type bit: the sample carries raw bytes (bpf_perf_event_output's data). */
export const PERF_SAMPLE_RAW = 1 << 10;
/** perf_event_header.type values the perf buffer handles. */
export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_SAMPLE = 9;

export interface BpfOutputAttrOptions {
  /** Wake the reader after this many samples (default 1). */
  wakeupEvents?: number;
  /** Or: wake once this many bytes are waiting (sets the watermark bit). */
  wakeupBytes?: number;
}

/**
 * Attr values of a PERF_COUNT_SW_BPF_OUTPUT event, the per-CPU target of
 * bpf_perf_event_output. Opened disabled; enabled once its ring is mapped.
 */
export function bpfOutputAttr(opts: BpfOutputAttrOptions = {}): PerfEventAttrValues {
  let flags = PerfAttrFlag.disabled;
  if (opts.wakeupBytes !== undefined) flags |= PerfAttrFlag.watermark;
  return {
    type: PerfType.SOFTWARE,
    config: PerfSoftware.BPF_OUTPUT,
    sample_period: 1,
    sample_type: PERF_SAMPLE_RAW,
    flags,
    wakeup_events: opts.wakeupBytes ?? opts.wakeupEvents ?? 1,
  };
}
