// attach() of an object's program, following its section name the way
// libbpf's auto-attach does: tracepoint/CAT/NAME, raw_tp/NAME, tp_btf/NAME,
// fentry/fexit/fmod_ret/lsm (target in the attach BTF id), iter/NAME,
// kprobe/FUNC[+OFF], ksyscall/NAME, uprobe/PATH:FUNC[+OFF]. Kinds that need
// something the section cannot say (an interface, a cgroup, a namespace, a
// sockmap, a socket, a sampling period) take it from the options, and a
// missing option is an ArgumentError listing what is needed.
//
// @example
// const link = obj.program('handle_exec').attach();          // SEC("tracepoint/sched/sched_process_exec")
// const x = obj.program('xdp_drop').attach({ ifname: 'lk0', netns: 'lk1234' });
import type { SectionDef } from '@lockne/obj';
import type { Program } from '../programs/program.js';
import { AttachType, ProgType, enumName } from '../sys/consts.js';
import { ArgumentError, NotSupportedError } from '../errors.js';
import type { Attachment } from '../links/link.js';
import { Link } from '../links/link.js';
import { attachTracepoint } from '../links/tracepoint.js';
import { attachRawTracepoint } from '../links/raw-tracepoint.js';
import { attachTpBtf } from '../links/tp-btf.js';
import { attachTracing, type TracingKind } from '../links/tracing.js';
import { attachIter, type IterOptions } from '../links/iter.js';
import { attachKprobe } from '../links/kprobe.js';
import { attachUprobe } from '../links/uprobe.js';
import { attachPerfSampling, type PerfSamplingOptions } from '../links/perf-event.js';
import { attachCgroup, type CgroupRef } from '../links/cgroup.js';
import { attachXdp, type XdpMode } from '../links/xdp.js';
import { attachTcx, type TcxDirection } from '../links/tcx.js';
import { attachSkLookup } from '../links/sk-lookup.js';
import { attachFlowDissector } from '../links/flow-dissector.js';
import { attachNetfilter, type NetfilterOptions } from '../links/netfilter.js';
import { attachSkMsg } from '../links/sk-msg.js';
import { attachSkSkb, type SkSkbKind } from '../links/sk-skb.js';
import { attachSocketFilter, attachReuseportProgram } from '../links/socket-filter.js';
import { openNetns, type NetnsRef, type NetnsTarget } from '../links/netns.js';
import type { SockmapTarget } from '../links/sockmap-attach.js';
import { openCgroup } from '../net/cgroup.js';
import { FdHandle } from '../fd.js';
import { syscallPrefix } from './kconfig.js';

export interface ObjectAttachOptions {
  /** cgroup/*, cgroup_skb/*, sockops, lsm_cgroup: the cgroup (path or fd). */
  cgroup?: CgroupRef;
  /** xdp, tc, tcx: the interface (name or index). */
  ifname?: string | number;
  /**
   * The network namespace: where `ifname` lives (xdp, tc), or the namespace to
   * attach to (sk_lookup, flow_dissector, netfilter). A name under /run/netns,
   * a path, or an open netns fd/handle (sk_lookup, flow_dissector).
   */
  netns?: NetnsRef | NetnsTarget;
  /** xdp: 'generic' or 'driver'. */
  xdpMode?: XdpMode;
  /** tc / classifier sections, which do not name a direction. */
  direction?: TcxDirection;
  /** sk_msg, sk_skb: the SOCKMAP/SOCKHASH. */
  map?: SockmapTarget;
  /** sk_skb without a kind in its section name. */
  skSkbKind?: SkSkbKind;
  /** socket, sk_reuseport: the socket fd. */
  socket?: number;
  /** netfilter: family, hook and priority. */
  netfilter?: Omit<NetfilterOptions, 'netns'>;
  /** perf_event: the sampling event. */
  perfEvent?: PerfSamplingOptions;
  /** iter: the iterated set (map, task, cgroup). */
  iter?: IterOptions;
  /** A target when the section has none: "cat/name", "func+off", "path:func"... */
  target?: string;
  /** cgroup/skb, sk_skb: the attach type when the section does not name one. */
  attachType?: number;
  /** uprobe: only this process. */
  pid?: number;
  /** Value bpf_get_attach_cookie() returns (where the attach kind supports it). */
  cookie?: bigint | number;
}

/** The section kind without the sleepable/writable/frags modifiers: 'fentry.s' -> 'fentry'. */
export function baseKind(kind: string): string {
  return kind.replace(/\.(s|w|frags)(?=\/|$)/g, '');
}

function need(what: string, def: SectionDef, option: string, why: string): never {
  throw new ArgumentError(`${what} (section '${def.section}'): attach() needs opts.${option} (${why})`);
}

function netnsName(ns: NetnsRef | NetnsTarget | undefined): NetnsRef | undefined {
  return ns === undefined || typeof ns === 'number' || ns instanceof FdHandle ? undefined : ns;
}

/** Run `fn` with a netns fd: the given one, or one opened from a name/path and closed afterwards. */
function withNetnsFd<T>(ns: NetnsRef | NetnsTarget, fn: (fd: NetnsTarget) => T): T {
  if (typeof ns === 'number' || ns instanceof FdHandle) return fn(ns);
  const h = openNetns(ns);
  try {
    return fn(h);
  } finally {
    h.close();
  }
}

/** "path:func+0x10" / "path:0x1234" / "path:func" */
function parseUprobeTarget(target: string, what: string): { path: string; symbol?: string; offset?: number } {
  const colon = target.lastIndexOf(':');
  if (colon <= 0) throw new ArgumentError(`${what}: uprobe target '${target}' is not PATH:FUNCTION[+OFFSET]`);
  const path = target.slice(0, colon);
  const fn = target.slice(colon + 1);
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(fn)) return { path, offset: Number(fn) };
  const m = /^([A-Za-z_.$@][\w.$@]*)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(fn);
  if (!m) throw new ArgumentError(`${what}: uprobe target '${target}' is not PATH:FUNCTION[+OFFSET]`);
  return { path, symbol: m[1]!, offset: m[2] === undefined ? undefined : Number(m[2]) };
}

/** "func" or "func+0x10" */
function parseKprobeTarget(target: string, what: string): { symbol: string; offset?: number } {
  const m = /^([A-Za-z_.][\w.]*)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(target);
  if (!m) throw new ArgumentError(`${what}: kprobe target '${target}' is not FUNCTION[+OFFSET]`);
  return { symbol: m[1]!, offset: m[2] === undefined ? undefined : Number(m[2]) };
}

/** Attach `prog` (loaded from section `def`) where its section name says. */
export function attachBySection(prog: Program, def: SectionDef, opts: ObjectAttachOptions = {}): Attachment {
  const what = `program '${prog.name}'`;
  const kind = baseKind(def.kind);
  const target = opts.target ?? def.target;
  const needTarget = (form: string): string => target ?? need(what, def, 'target', `the section names no ${form}`);
  const cookie = opts.cookie;
  switch (def.progType) {
    case ProgType.TRACEPOINT: {
      const t = needTarget('tracepoint');
      const slash = t.indexOf('/');
      if (slash <= 0) throw new ArgumentError(`${what} (section '${def.section}'): tracepoint target '${t}' is not CATEGORY/NAME`);
      return attachTracepoint(prog, t.slice(0, slash), t.slice(slash + 1), { cookie });
    }
    case ProgType.RAW_TRACEPOINT:
    case ProgType.RAW_TRACEPOINT_WRITABLE:
      return attachRawTracepoint(prog, needTarget('raw tracepoint'), { cookie });
    case ProgType.TRACING:
      switch (def.expectedAttachType) {
        case AttachType.TRACE_RAW_TP: return attachTpBtf(prog, { mode: cookie === undefined ? 'open' : 'link', cookie });
        case AttachType.TRACE_ITER: return attachIter(prog, opts.iter);
        case AttachType.TRACE_FENTRY: return attachTracing(prog, 'fentry', { cookie });
        case AttachType.TRACE_FEXIT: return attachTracing(prog, 'fexit', { cookie });
        case AttachType.MODIFY_RETURN: return attachTracing(prog, 'fmod_ret', { cookie });
      }
      break;
    case ProgType.LSM:
      if (def.expectedAttachType === AttachType.LSM_CGROUP) {
        const cg = opts.cgroup ?? need(what, def, 'cgroup', 'lsm_cgroup attaches to a cgroup');
        const fd = typeof cg === 'number' ? cg : openCgroup(cg);
        const h = typeof cg === 'number' ? undefined : new FdHandle(fd, `cgroup ${cg}`);
        try {
          return Link.create(prog, fd, AttachType.LSM_CGROUP, { what: `lsm_cgroup link of ${prog.handle.description}` });
        } finally {
          h?.close();
        }
      }
      return attachTracing(prog, 'lsm' satisfies TracingKind, { cookie });
    case ProgType.KPROBE: {
      if (kind === 'uprobe' || kind === 'uretprobe') {
        const t = parseUprobeTarget(needTarget('binary and function'), what);
        return attachUprobe(prog, { ...t, retprobe: kind === 'uretprobe', pid: opts.pid, cookie });
      }
      if (kind === 'kprobe' || kind === 'kretprobe') {
        const t = parseKprobeTarget(needTarget('kernel function'), what);
        return attachKprobe(prog, { ...t, retprobe: kind === 'kretprobe', cookie });
      }
      if (kind === 'ksyscall' || kind === 'kretsyscall') {
        const name = needTarget('syscall');
        return attachKprobe(prog, { symbol: `${syscallPrefix()}sys_${name}`, retprobe: kind === 'kretsyscall', cookie });
      }
      break;
    }
    case ProgType.PERF_EVENT:
      return attachPerfSampling(prog, opts.perfEvent ?? need(what, def, 'perfEvent', 'the sampling event and period'));
    case ProgType.CGROUP_SKB:
    case ProgType.CGROUP_SOCK:
    case ProgType.CGROUP_SOCK_ADDR:
    case ProgType.CGROUP_SOCKOPT:
    case ProgType.CGROUP_SYSCTL:
    case ProgType.CGROUP_DEVICE:
    case ProgType.SOCK_OPS: {
      const cg = opts.cgroup ?? need(what, def, 'cgroup', 'the cgroup to attach to, a path or fd');
      const type = opts.attachType ?? def.expectedAttachType ?? need(what, def, 'attachType', 'the section names no hook (e.g. AttachType.CGROUP_INET_INGRESS)');
      return attachCgroup(prog, cg, type);
    }
    case ProgType.XDP: {
      if (def.expectedAttachType !== undefined && def.expectedAttachType !== AttachType.XDP) break; // devmap/cpumap programs go into maps
      const ifname = opts.ifname ?? need(what, def, 'ifname', 'the interface to attach XDP to');
      return attachXdp(prog, ifname, { mode: opts.xdpMode, netns: netnsName(opts.netns) });
    }
    case ProgType.SCHED_CLS: {
      const dir: TcxDirection | undefined = def.expectedAttachType === AttachType.TCX_INGRESS ? 'ingress'
        : def.expectedAttachType === AttachType.TCX_EGRESS ? 'egress' : opts.direction;
      if (kind.startsWith('netkit')) break;
      const ifname = opts.ifname ?? need(what, def, 'ifname', 'the interface to attach the tc program to');
      if (!dir) need(what, def, 'direction', "'ingress' or 'egress'");
      return attachTcx(prog, ifname, dir, { netns: netnsName(opts.netns) });
    }
    case ProgType.SK_LOOKUP:
      return withNetnsFd(opts.netns ?? need(what, def, 'netns', 'the network namespace to attach to'), (ns) => attachSkLookup(prog, ns));
    case ProgType.FLOW_DISSECTOR:
      return withNetnsFd(opts.netns ?? need(what, def, 'netns', 'the network namespace to attach to'), (ns) => attachFlowDissector(prog, ns));
    case ProgType.NETFILTER: {
      const nf = opts.netfilter ?? need(what, def, 'netfilter', '{ family, hook, priority }');
      if (opts.netns === undefined) return attachNetfilter(prog, nf);
      return withNetnsFd(opts.netns, (ns) => attachNetfilter(prog, { ...nf, netns: ns }));
    }
    case ProgType.SK_MSG:
      return attachSkMsg(prog, opts.map ?? need(what, def, 'map', 'the SOCKMAP or SOCKHASH'));
    case ProgType.SK_SKB: {
      const map = opts.map ?? need(what, def, 'map', 'the SOCKMAP or SOCKHASH');
      const at = def.expectedAttachType ?? opts.attachType;
      const k: SkSkbKind | undefined = at === AttachType.SK_SKB_STREAM_PARSER ? 'stream-parser'
        : at === AttachType.SK_SKB_STREAM_VERDICT ? 'stream-verdict' : at === AttachType.SK_SKB_VERDICT ? 'verdict' : opts.skSkbKind;
      return attachSkSkb(prog, map, k ?? need(what, def, 'skSkbKind', "'verdict', 'stream-verdict' or 'stream-parser'"));
    }
    case ProgType.SOCKET_FILTER:
      return attachSocketFilter(prog, opts.socket ?? need(what, def, 'socket', 'the socket fd to filter'));
    case ProgType.SK_REUSEPORT:
      return attachReuseportProgram(prog, opts.socket ?? need(what, def, 'socket', 'a socket of the SO_REUSEPORT group'));
  }
  throw new NotSupportedError(`${what} (section '${def.section}', ${enumName(ProgType, def.progType)}): attach() does not know how to attach section kind '${def.kind}'; use the attach functions of @lockne/bpf directly`);
}
