// What each corpus program (test/corpus/<name>.bpf.c) is expected to do. The
// conformance test loads every object with libbpf (bpftool) and checks these
// expectations, then loads it with @lockne/bpf and checks that both agree.
// Each .bpf.c file's header comment says what it covers; this file says how to
// run it and what must come out.
import type { BtfReader } from '@lockne/obj';
import { packet, withPayload, withPayloadU32, withoutL2, xdpRewritten } from './packet.js';

/** Facts about the running system that some expectations depend on (read lazily). */
export interface CorpusEnv {
  /** KERNEL_VERSION(a, b, c) of `uname -r`, as libbpf computes LINUX_KERNEL_VERSION. */
  kernelVersion(): number;
  kernelBtf(): BtfReader;
  /** The compiled object's own .BTF. */
  objectBtf(): BtfReader;
  /** A CONFIG_ value from /proc/config.gz, undefined when unset. */
  kconfig(name: string): string | undefined;
  /** A symbol's address from /proc/kallsyms. */
  kallsyms(name: string): bigint;
  /** Contents of /proc/<pid>/comm without the newline. */
  comm(pid: number): string;
}

export type Expect<T> = T | ((env: CorpusEnv) => T);

/** One BPF_PROG_TEST_RUN, made on libbpf's program and on ours with the same input. */
export interface CorpusRun {
  program: string;
  /** data_in; default the standard packet; null for programs that take none. */
  data?: Uint8Array | null;
  /** ctx_in (syscall programs). */
  ctx?: Uint8Array;
  retval: Expect<number>;
  /** Expected data_out; default the input unchanged (when there is data). */
  dataOut?: Expect<Uint8Array>;
  /** Expected ctx after the run (a syscall program writes back into ctx_in). */
  ctxOut?: Expect<Uint8Array>;
  /**
   * Who runs libbpf's program: `bpftool prog run` (default), or our testRun on
   * the program bpftool pinned, for types bpftool 7.1 cannot run (it always
   * passes repeat >= 1, which raw_tp and syscall test-runs refuse with EINVAL).
   */
  runner?: 'bpftool' | 'lockne';
}

/** For programs that cannot be test-run: attach, trigger, compare what they did. */
export type Behaviour =
  /** tp_btf on sys_enter recording seen[tgid] = tgid: expect seen[our pid] == our pid. */
  | { kind: 'tp_btf'; program: string; map: string }
  /** A tracepoint counting per tgid: expect counts[our pid] >= 1 after getppid(). */
  | { kind: 'tracepoint'; program: string; category: string; event: string; map: string }
  /** An iterator: expect exactly this text. */
  | { kind: 'iter'; program: string; text: Expect<string> };

export interface CorpusEntry {
  /** File stem: test/corpus/<name>.bpf.c. */
  name: string;
  /** Every entry program the object defines (function names), sorted. */
  programs: string[];
  /**
   * Every map a loader creates, sorted: user maps by name, global data maps by
   * section ('.data', '.rodata.str1.1', ...). libbpf's kernel names of internal
   * maps carry a prefix of the object name ('global_d.data'), which the test strips.
   */
  maps: string[];
  runs?: CorpusRun[];
  behaviour?: Behaviour;
  /**
   * Both loaders must refuse the object: the errno, the refused program's
   * section (our error names it), what libbpf prints, and whether the kernel
   * refuses before verification (empty verifier log).
   */
  refused?: { errno: 'EPERM' | 'ENOENT'; section: string; emptyLog: boolean; libbpf: RegExp };
  /** libbpf refuses to open the object (only our loader runs it): what libbpf prints. */
  libbpfRefuses?: RegExp;
  /** The object has a LIBBPF_PIN_BY_NAME map (named lkpin<pid> at compile time). */
  pinByName?: boolean;
  /** Rewrite CO-RE records of kind `from` to `to` in .BTF.ext after compiling (see core_type_matches.bpf.c). */
  patchCoreKinds?: { from: number; to: number };
}

/** Byte offset of `member` in kernel struct `struct`. */
export function memberOffset(btf: BtfReader, struct: string, member: string): number {
  const t = btf.find(struct, 'STRUCT');
  if (!t) throw new Error(`no struct ${struct} in BTF`);
  const m = t.members.find((x) => x.name === member);
  if (!m) throw new Error(`no member ${struct}.${member} in BTF`);
  return m.bitOffset / 8;
}

function structSize(btf: BtfReader, struct: string): number {
  const t = btf.find(struct, 'STRUCT');
  if (!t) throw new Error(`no struct ${struct} in BTF`);
  return t.size;
}

function typeId(btf: BtfReader, struct: string): number {
  const id = btf.findId(struct, 'STRUCT');
  if (id === undefined) throw new Error(`no struct ${struct} in BTF`);
  return id;
}

/** struct bpf_flow_keys (56 bytes) as flow_dissector.bpf.c fills it for the standard packet. */
function flowKeys(): Uint8Array {
  const k = new Uint8Array(56);
  const v = new DataView(k.buffer);
  v.setUint16(0, 14, true); // nhoff: after Ethernet
  v.setUint16(2, 34, true); // thoff: after the 20-byte IPv4 header
  v.setUint16(4, 0x0800, true); // addr_proto ETH_P_IP (host order)
  k[9] = 6; // ip_proto TCP
  v.setUint16(10, 0x0800); // n_proto (network order, set by the kernel)
  v.setUint16(12, 40000); // sport
  v.setUint16(14, 80); // dport
  k.set([10, 0, 0, 1, 10, 1, 2, 3], 16); // ipv4_src, ipv4_dst
  return k;
}

const sel = (selector: number): Uint8Array => packet({ selector });
/** data out of a non-L2 program type (socket filter, cgroup_skb): the kernel zeroes the Ethernet header it put back. */
const l2Zeroed = (): Uint8Array => withoutL2(packet());

export const CORPUS: readonly CorpusEntry[] = [
  {
    name: 'map_refs', programs: ['map_refs'], maps: ['counts', 'lens'],
    runs: [{ program: 'map_refs', retval: 101 }, { program: 'map_refs', retval: 201 }],
  },
  {
    name: 'global_data', programs: ['global_data'], maps: ['.data'],
    runs: [{ program: 'global_data', retval: 299 }, { program: 'global_data', retval: 300 }],
  },
  {
    name: 'rodata_const', programs: ['rodata_const'], maps: ['.rodata', '.rodata.cst8'],
    runs: [{ program: 'rodata_const', retval: 40 }, { program: 'rodata_const', data: sel(2), retval: 16 }],
  },
  {
    name: 'bss', programs: ['bss'], maps: ['.bss'],
    runs: [{ program: 'bss', retval: 1001 }, { program: 'bss', retval: 2120 }],
  },
  {
    name: 'custom_sections', programs: ['custom_sections'], maps: ['.data', '.data.custom', '.rodata.custom'],
    runs: [{ program: 'custom_sections', retval: 142 }, { program: 'custom_sections', retval: 143 }],
  },
  {
    name: 'strings', programs: ['strings'], maps: ['.rodata.str1.1'],
    runs: [{
      program: 'strings', retval: 13,
      dataOut: () => withPayload(packet(), Uint8Array.from([...new TextEncoder().encode('len=118 x=42'), ...new Array<number>(20).fill(0)])),
    }],
  },
  {
    name: 'static_subprog', programs: ['static_subprog'], maps: [],
    runs: [{ program: 'static_subprog', retval: 243 }],
  },
  {
    name: 'global_func', programs: ['global_func'], maps: [],
    runs: [{ program: 'global_func', retval: 19 }, { program: 'global_func', data: sel(9), retval: 31 }],
  },
  {
    name: 'nested_calls', programs: ['nested_a', 'nested_b'], maps: [],
    runs: [{ program: 'nested_a', retval: 1111 }, { program: 'nested_b', retval: 1007 }],
  },
  {
    name: 'callbacks', programs: ['callbacks'], maps: ['.bss', 'vals'],
    runs: [{ program: 'callbacks', retval: 4510 }],
  },
  {
    name: 'map_in_map', programs: ['map_in_map'], maps: ['hash_outer', 'inner_a', 'inner_b', 'outer'],
    runs: [{ program: 'map_in_map', retval: 373 }],
  },
  {
    name: 'tail_call', programs: ['tail_entry', 'tail_two', 'tail_zero'], maps: ['jumps'],
    runs: [
      { program: 'tail_entry', data: sel(0), retval: 10 },
      { program: 'tail_entry', data: sel(1), retval: 99 },
      { program: 'tail_entry', data: sel(2), retval: 12 },
      { program: 'tail_two', retval: 12 },
    ],
  },
  {
    name: 'maps_basic', programs: ['maps_basic'], maps: ['a', 'h', 'lru'],
    runs: [{ program: 'maps_basic', retval: 487 }],
  },
  {
    name: 'maps_percpu', programs: ['maps_percpu'], maps: ['lpch', 'pca', 'pch'],
    runs: [{ program: 'maps_percpu', retval: 222 }, { program: 'maps_percpu', retval: 222 }],
  },
  {
    name: 'maps_lpm', programs: ['maps_lpm'], maps: ['routes'],
    runs: [
      { program: 'maps_lpm', retval: 2 },
      { program: 'maps_lpm', data: packet({ dst: [10, 9, 9, 9] }), retval: 1 },
      { program: 'maps_lpm', data: packet({ dst: [192, 168, 0, 1] }), retval: 0 },
    ],
  },
  {
    name: 'maps_queue_stack', programs: ['maps_queue_stack'], maps: ['bloom', 'q', 'st'],
    runs: [{ program: 'maps_queue_stack', retval: 131 }, { program: 'maps_queue_stack', retval: 231 }],
  },
  {
    name: 'maps_ringbuf', programs: ['maps_ringbuf'], maps: ['events'],
    runs: [{ program: 'maps_ringbuf', retval: 33 }, { program: 'maps_ringbuf', retval: 65 }],
  },
  {
    name: 'legacy_maps', programs: ['legacy_maps'], maps: ['legacy_counts'],
    libbpfRefuses: /legacy map definitions in 'maps' section are not supported by libbpf v1\.0\+/,
    runs: [{ program: 'legacy_maps', retval: 1 }, { program: 'legacy_maps', retval: 2 }],
  },
  {
    name: 'pin_by_name', programs: ['pin_by_name'], maps: ['<pin>'], pinByName: true,
    runs: [{ program: 'pin_by_name', retval: 1 }],
  },
  {
    name: 'core_fields', programs: ['core_fields'], maps: [],
    runs: [{
      program: 'core_fields', retval: 0,
      dataOut: (env) => withPayloadU32(packet(), [memberOffset(env.kernelBtf(), 'task_struct', 'pid'), 16, 1, 0, 1, 0]),
    }],
  },
  {
    name: 'core_bitfield', programs: ['core_bitfield'], maps: [],
    runs: [
      { program: 'core_bitfield', retval: 0x502 },
      { program: 'core_bitfield', data: packet({ tcpFlags: 0x10 }), retval: 0x501 },
    ],
  },
  {
    name: 'core_types', programs: ['core_types'], maps: [],
    runs: [{
      program: 'core_types', retval: 0,
      dataOut: (env) => withPayloadU32(packet(), [
        typeId(env.objectBtf(), 'task_struct'), typeId(env.kernelBtf(), 'task_struct'), 1, 0,
        structSize(env.kernelBtf(), 'task_struct'), 1, 0, 27,
      ]),
    }],
  },
  {
    name: 'core_type_matches', programs: ['core_type_matches'], maps: [], patchCoreKinds: { from: 8, to: 12 },
    runs: [{ program: 'core_type_matches', retval: 0, dataOut: withPayloadU32(packet(), [0, 1, 0, 0, 1]) }],
  },
  {
    name: 'core_task_rawtp', programs: ['core_task_rawtp'], maps: [],
    runs: [{ program: 'core_task_rawtp', data: null, ctx: new Uint8Array(16), retval: 7, runner: 'lockne' }],
  },
  {
    name: 'tp_btf_task', programs: ['tp_btf_task'], maps: ['seen'],
    behaviour: { kind: 'tp_btf', program: 'tp_btf_task', map: 'seen' },
  },
  {
    name: 'kconfig', programs: ['kconfig'], maps: ['.kconfig'],
    runs: [{
      program: 'kconfig', retval: 0,
      dataOut: (env) => withPayloadU32(packet(), [
        env.kernelVersion(), env.kconfig('CONFIG_BPF_SYSCALL') === 'y' ? 1 : 0, Number(env.kconfig('CONFIG_HZ') ?? 0), 0,
      ]),
    }],
  },
  {
    name: 'ksym', programs: ['ksym'], maps: [],
    runs: [{
      program: 'ksym', retval: 0,
      dataOut: (env) => {
        const a = env.kallsyms('_stext');
        return withPayloadU32(packet(), [Number(a & 0xffffffffn), Number(a >> 32n), 0]);
      },
    }],
  },
  {
    name: 'ksym_typed_refused', programs: ['ksym_typed_refused'], maps: [],
    refused: { errno: 'ENOENT', section: 'tc', emptyLog: false, libbpf: /ldimm64 failed to find the address for kernel symbol 'runqueues'/ },
  },
  {
    name: 'kfunc', programs: ['kfunc'], maps: ['slot'],
    runs: [{ program: 'kfunc', retval: 5 }],
  },
  {
    name: 'multi_prog', programs: ['tc_one', 'tc_two', 'xdp_drop', 'xdp_pass'], maps: [],
    runs: [
      { program: 'tc_one', retval: 101 }, { program: 'tc_two', retval: 102 },
      { program: 'xdp_pass', retval: 2 }, { program: 'xdp_drop', retval: 1 },
    ],
  },
  {
    name: 'xdp_rewrite', programs: ['xdp_rewrite'], maps: [],
    runs: [{ program: 'xdp_rewrite', retval: 3, dataOut: () => xdpRewritten(packet()) }],
  },
  {
    name: 'socket_filter', programs: ['socket_drop', 'socket_keep'], maps: [],
    runs: [{ program: 'socket_keep', retval: 104, dataOut: l2Zeroed }, { program: 'socket_drop', retval: 0, dataOut: l2Zeroed }],
  },
  {
    name: 'cgroup_skb', programs: ['skb_egress', 'skb_ingress'], maps: [],
    runs: [
      { program: 'skb_ingress', retval: 1, dataOut: l2Zeroed },
      { program: 'skb_ingress', data: packet({ dport: 443 }), retval: 0, dataOut: () => withoutL2(packet({ dport: 443 })) },
      { program: 'skb_egress', retval: 1, dataOut: l2Zeroed },
    ],
  },
  {
    name: 'flow_dissector', programs: ['dissect'], maps: [],
    runs: [{ program: 'dissect', retval: 0, dataOut: flowKeys }],
  },
  {
    name: 'syscall_prog', programs: ['syscall_prog'], maps: [],
    runs: [{
      program: 'syscall_prog', data: null, ctx: Uint8Array.from([3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]), retval: 12,
      ctxOut: Uint8Array.from([3, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0]), runner: 'lockne',
    }],
  },
  {
    name: 'tracepoint', programs: ['tracepoint'], maps: ['counts'],
    behaviour: { kind: 'tracepoint', program: 'tracepoint', category: 'syscalls', event: 'sys_enter_getppid', map: 'counts' },
  },
  {
    name: 'iter_task', programs: ['iter_task'], maps: ['.rodata'],
    behaviour: { kind: 'iter', program: 'iter_task', text: (env) => `pid 2 comm ${env.comm(2)}\n` },
  },
  {
    name: 'fentry_refused', programs: ['fentry_refused'], maps: [],
    refused: { errno: 'EPERM', section: 'fentry/do_unlinkat', emptyLog: true, libbpf: /prog 'fentry_refused': BPF program load failed: Operation not permitted/ },
  },
  {
    name: 'lsm_refused', programs: ['lsm_refused'], maps: [],
    refused: { errno: 'EPERM', section: 'lsm/file_open', emptyLog: true, libbpf: /prog 'lsm_refused': BPF program load failed: Operation not permitted/ },
  },
];
