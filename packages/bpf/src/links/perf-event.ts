// Programs on perf events: the shared attach step of tracepoints, uprobes and
// kprobes (a perf event fd per probe), and PERF_EVENT programs sampling a
// software or hardware event on every CPU.
//
// Attach modes: 'link' is BPF_LINK_CREATE with attach type PERF_EVENT (5.15+,
// the link can be pinned and queried); 'ioctl' is the legacy
// PERF_EVENT_IOC_SET_BPF (4.x+). Either way the event is enabled afterwards.
//
// @example
// const prog = Program.load({ type: 'PERF_EVENT', instructions: assemble(...) });
// const sampling = attachPerfSampling(prog, { event: 'CPU_CLOCK', frequency: 1000 });
// ... sampling.close();
import { FdHandle } from '../fd.js';
import { Link, type Attachment } from './link.js';
import { AttachType } from '../sys/consts.js';
import {
  PerfAttrFlag, PerfHardware, PerfSoftware, PerfType, onlineCpus, perfEventOpen, perfIoctl,
  type PerfSoftwareName,
} from '../sys/perf.js';
import { ArgumentError } from '../errors.js';
import type { Program } from '../programs/program.js';

export type PerfAttachMode = 'link' | 'ioctl';

export interface PerfAttachOptions {
  /** Default 'link' (BPF_LINK_CREATE, 5.15+); 'ioctl' for PERF_EVENT_IOC_SET_BPF. */
  mode?: PerfAttachMode;
  /** Value bpf_get_attach_cookie() returns in the program ('link' mode, 5.15+). */
  cookie?: bigint | number;
}

/**
 * A program attached to one perf event. Owns the perf event fd and, in 'link'
 * mode, the bpf_link fd; close() releases both, which detaches.
 */
export class PerfEventLink implements Attachment {
  /** The perf event (tracepoint, probe or sampling event). */
  readonly perf: FdHandle;
  /** The bpf_link in 'link' mode. */
  readonly link: Link | undefined;
  readonly mode: PerfAttachMode;

  constructor(perf: FdHandle, link: Link | undefined) {
    this.perf = perf;
    this.link = link;
    this.mode = link ? 'link' : 'ioctl';
  }

  get description(): string {
    return this.link?.handle.description ?? this.perf.description;
  }

  close(): void {
    // The link first: the program leaves the event before the event goes away.
    this.link?.close();
    this.perf.close();
  }
}

/**
 * Attach `prog` to the perf event `perfFd`, taking ownership of the fd (it is
 * closed on failure too). The event is enabled once the program is on it.
 */
export function attachPerfEvent(prog: Program, perfFd: number, opts: PerfAttachOptions & { what?: string } = {}): PerfEventLink {
  const what = opts.what ?? `perf event of ${prog.handle.description}`;
  const perf = new FdHandle(perfFd, what);
  let link: Link | undefined;
  try {
    if ((opts.mode ?? 'link') === 'link') {
      link = Link.create(prog, perfFd, AttachType.PERF_EVENT, {
        what: `PERF_EVENT link of ${prog.handle.description} (${what})`,
        extra: { perf_bpf_cookie: BigInt(opts.cookie ?? 0) },
      });
    } else {
      if (opts.cookie !== undefined) throw new ArgumentError(`${what}: a cookie needs mode 'link'`);
      perfIoctl(perfFd, 'SET_BPF', prog.fd, what);
    }
    perfIoctl(perfFd, 'ENABLE', 0, what);
    return new PerfEventLink(perf, link);
  } catch (e) {
    link?.close();
    perf.close();
    throw e;
  }
}

/** Several attachments released together (one per CPU, or entry + return probes). */
export class AttachmentGroup<T extends Attachment = PerfEventLink> implements Attachment {
  readonly items: readonly T[];
  constructor(items: readonly T[]) {
    this.items = items;
  }
  close(): void {
    for (const a of this.items) a.close();
  }
}

export interface PerfSamplingOptions extends PerfAttachOptions {
  /** A software event (default 'CPU_CLOCK'), or a number with `type`. */
  event?: PerfSoftwareName | keyof typeof PerfHardware | number;
  /** 'SOFTWARE' (default) or 'HARDWARE' (needs a PMU: VMs usually have none). */
  type?: 'SOFTWARE' | 'HARDWARE';
  /** Run the program every this many events (for CPU_CLOCK: nanoseconds). */
  samplePeriod?: number | bigint;
  /** Or: this many times per second (the kernel adjusts the period). */
  frequency?: number;
  /** CPUs to sample on; default every online CPU. */
  cpus?: readonly number[];
  /** Only this process (default -1: every process on those CPUs). */
  pid?: number;
}

/**
 * Run a PERF_EVENT program on a sampling event on each CPU (4.9+; links
 * 5.15+). Give exactly one of samplePeriod and frequency.
 */
export function attachPerfSampling(prog: Program, opts: PerfSamplingOptions): AttachmentGroup {
  if ((opts.samplePeriod === undefined) === (opts.frequency === undefined)) {
    throw new ArgumentError('attachPerfSampling: give exactly one of samplePeriod and frequency');
  }
  const hardware = opts.type === 'HARDWARE';
  const ev = opts.event ?? 'CPU_CLOCK';
  const table: Readonly<Record<string, number>> = hardware ? PerfHardware : PerfSoftware;
  const config = typeof ev === 'number' ? ev : table[ev];
  if (config === undefined) throw new ArgumentError(`attachPerfSampling: unknown ${hardware ? 'hardware' : 'software'} event '${String(ev)}'`);
  const cpus = opts.cpus ?? onlineCpus();
  const links: PerfEventLink[] = [];
  try {
    for (const cpu of cpus) {
      const what = `${hardware ? 'hardware' : 'software'} event ${ev} on CPU ${cpu}`;
      const fd = perfEventOpen({
        type: hardware ? PerfType.HARDWARE : PerfType.SOFTWARE,
        config,
        sample_period: opts.frequency ?? BigInt(opts.samplePeriod ?? 0),
        flags: opts.frequency !== undefined ? PerfAttrFlag.freq : 0n,
      }, { pid: opts.pid ?? -1, cpu, what });
      links.push(attachPerfEvent(prog, fd, { ...opts, what }));
    }
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
  return new AttachmentGroup(links);
}
