// Loading programs (BPF_PROG_LOAD) and running them (BPF_PROG_TEST_RUN).
import { encodeInstructions, type Instruction } from '@lockne/obj';
import { FdHandle } from '../fd.js';
import { bpfRaw } from '../sys/syscall.js';
import { objInfo } from '../sys/info.js';
import { encode, read, readString, readU32, readBytes } from '../sys/layout.js';
import { ProgInfo, ProgLoadAttr, TestRunAttr } from '../sys/attrs.js';
import { AttachType, ProgType, enumName, type AttachTypeName, type ProgTypeName } from '../sys/consts.js';
import { Errno } from '../sys/errno.js';
import { ArgumentError, SyscallError, VerifierError } from '../errors.js';

export interface ProgramLoadOptions {
  /** Program type, e.g. 'SCHED_CLS' or ProgType.XDP. */
  type: ProgTypeName | number;
  /** Instructions (from @lockne/obj's assembler or builder) or their encoded bytes. */
  instructions: readonly Instruction[] | Uint8Array;
  /** Default 'GPL' (needed for GPL-only helpers). */
  license?: string;
  /** Up to 15 characters are kept by the kernel. */
  name?: string;
  expectedAttachType?: AttachTypeName | number;
  /** BTF type id of the attach target (tp_btf, fentry, lsm, ...). */
  attachBtfId?: number;
  /** fd of the BTF object holding attachBtfId (module BTF), or of the target program for freplace. */
  attachFd?: number;
  /** BPF_F_* program flags. */
  flags?: number;
  kernVersion?: number;
  /** 1 or 2 to always collect the verifier log; by default it is collected only on failure. */
  logLevel?: number;
  /** Optional BTF for func_info / line_info (used by object loading). */
  btf?: {
    fd: number;
    funcInfo?: Uint8Array; funcInfoRecSize?: number; funcInfoCount?: number;
    lineInfo?: Uint8Array; lineInfoRecSize?: number; lineInfoCount?: number;
  };
  /** fds referenced by BPF_PSEUDO_MAP_IDX instructions. */
  fdArray?: Int32Array;
}

export interface TestRunOptions {
  /** Packet (or other input) data: data_in. */
  data?: Uint8Array;
  /** Room for data_out; default data.length + 256. Grows when the kernel reports ENOSPC. */
  dataOutSize?: number;
  /** Context in (e.g. a struct __sk_buff) — ctx_in. */
  ctx?: Uint8Array;
  /** Room for ctx_out; default ctx.length (0 when no ctx). */
  ctxOutSize?: number;
  /** Run this many times; durationNs is the mean. Default 1. */
  repeat?: number;
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

export interface TestRunResult {
  retval: number;
  /** Mean run time in nanoseconds, measured by the kernel. */
  durationNs: number;
  /** data_out as the program left it. */
  data: Uint8Array;
  ctx: Uint8Array;
}

export interface ProgramInfo {
  id: number;
  type: number;
  typeName: string;
  name: string;
  /** Hex tag, like bpftool shows. */
  tag: string;
  xlatedLength: number;
  jitedLength: number;
  loadTime: bigint;
  createdByUid: number;
  mapIds: number[];
  btfId: number;
  verifiedInstructions: number;
  runTimeNs: bigint;
  runCount: bigint;
}

const LOG_START = 64 * 1024;
// The kernel's upper bound for log_size (UINT_MAX >> 2 since 5.x); we stop at 256 MiB.
const LOG_MAX = 256 * 1024 * 1024;

function progTypeNumber(t: ProgTypeName | number): number {
  if (typeof t === 'number') return t;
  const n = ProgType[t];
  if (n === undefined) throw new ArgumentError(`unknown program type '${t}'`);
  return n;
}

function attachTypeNumber(t: AttachTypeName | number | undefined): number | undefined {
  if (t === undefined || typeof t === 'number') return t;
  const n = AttachType[t];
  if (n === undefined) throw new ArgumentError(`unknown attach type '${t}'`);
  return n;
}

/**
 * A loaded eBPF program.
 *
 * @example
 * const prog = Program.load({ type: 'SCHED_CLS', instructions: assemble('r0 = 7; exit') });
 * const { retval } = prog.testRun({ data: new Uint8Array(64) }); // 7
 * prog.close();
 */
export class Program {
  readonly handle: FdHandle;
  readonly type: number;
  readonly name: string;
  /** The verifier log when logLevel was set. */
  readonly verifierLog: string;

  constructor(fd: number, type: number, name: string, verifierLog = '') {
    this.handle = new FdHandle(fd, `program '${name || enumName(ProgType, type)}'`);
    this.type = type;
    this.name = name;
    this.verifierLog = verifierLog;
  }

  get fd(): number {
    return this.handle.fd;
  }

  /**
   * Wrap a program fd you own (from BPF_OBJ_GET, BPF_PROG_GET_FD_BY_ID, ...);
   * type and name come from bpf_prog_info. The Program takes ownership of `fd`.
   */
  static fromFd(fd: number): Program {
    const info = programInfoByFd(fd);
    return new Program(fd, info.type, info.name);
  }

  /** Load a program; a verifier rejection throws VerifierError with the whole log. */
  static load(opts: ProgramLoadOptions): Program {
    const type = progTypeNumber(opts.type);
    const insns = opts.instructions instanceof Uint8Array ? opts.instructions : encodeInstructions(opts.instructions);
    if (insns.byteLength === 0 || insns.byteLength % 8 !== 0) {
      throw new ArgumentError(`program '${opts.name ?? ''}': instructions must be a non-empty multiple of 8 bytes`);
    }
    const name = opts.name ?? '';
    if (name && !/^[A-Za-z0-9_.]{1,15}$/.test(name)) {
      throw new ArgumentError(`program name '${name}': use at most 15 of [A-Za-z0-9_.]`);
    }
    const license = new TextEncoder().encode(`${opts.license ?? 'GPL'}\0`);
    const base = {
      prog_type: type,
      insn_cnt: insns.byteLength / 8,
      insns,
      license,
      kern_version: opts.kernVersion ?? 0,
      prog_flags: opts.flags ?? 0,
      prog_name: name,
      expected_attach_type: attachTypeNumber(opts.expectedAttachType) ?? 0,
      attach_btf_id: opts.attachBtfId ?? 0,
      attach_prog_fd: opts.attachFd ?? 0,
      prog_btf_fd: opts.btf?.fd ?? 0,
      func_info: opts.btf?.funcInfo ?? null,
      func_info_rec_size: opts.btf?.funcInfoRecSize ?? 0,
      func_info_cnt: opts.btf?.funcInfoCount ?? 0,
      line_info: opts.btf?.lineInfo ?? null,
      line_info_rec_size: opts.btf?.lineInfoRecSize ?? 0,
      line_info_cnt: opts.btf?.lineInfoCount ?? 0,
      fd_array: opts.fdArray ?? null,
    };

    // First try as asked (no log by default: cheaper), then with a log that grows
    // until the kernel stops saying ENOSPC.
    let logLevel = opts.logLevel ?? 0;
    let logSize = logLevel ? LOG_START : 0;
    for (;;) {
      const log = logSize ? new Uint8Array(logSize) : null;
      const enc = encode(ProgLoadAttr, { ...base, log_level: logLevel, log_size: logSize, log_buf: log });
      const { ret, attr } = bpfRaw('PROG_LOAD', enc);
      const text = log ? cString(log) : '';
      if (ret >= 0) return new Program(ret, type, name, text);
      const errno = -ret;
      if (errno === Errno.ENOSPC && logSize && logSize < LOG_MAX) {
        const trueSize = readU32(ProgLoadAttr, attr, 'log_true_size');
        logSize = Math.min(LOG_MAX, Math.max(logSize * 4, trueSize + 1));
        continue;
      }
      if (!logSize) {
        // Failed without a log: load once more with one to explain why.
        logLevel = 1;
        logSize = LOG_START;
        continue;
      }
      if (errno === Errno.ENOSPC) throw new VerifierError('BPF_PROG_LOAD', errno, text, true, name);
      if (errno === Errno.EINVAL || errno === Errno.EACCES || errno === Errno.EPERM || errno === Errno.E2BIG) {
        throw new VerifierError('BPF_PROG_LOAD', errno, text, false, name);
      }
      throw new SyscallError('BPF_PROG_LOAD', errno, name ? `program '${name}'` : undefined);
    }
  }

  /**
   * Run the program once or `repeat` times in the kernel (BPF_PROG_TEST_RUN).
   * @example prog.testRun({ data: packet, repeat: 1000 }).durationNs
   */
  testRun(opts: TestRunOptions = {}): TestRunResult {
    const data = opts.data ?? null;
    let outSize = opts.dataOutSize ?? (data ? data.byteLength + 256 : 0);
    const ctxOutSize = opts.ctxOutSize ?? (opts.ctx?.byteLength ?? 0);
    for (;;) {
      const dataOut = outSize ? new Uint8Array(outSize) : null;
      const ctxOut = ctxOutSize ? new Uint8Array(ctxOutSize) : null;
      const enc = encode(TestRunAttr, {
        prog_fd: this.fd,
        data_in: data,
        data_size_in: data?.byteLength ?? 0,
        data_out: dataOut,
        data_size_out: outSize,
        ctx_in: opts.ctx ?? null,
        ctx_size_in: opts.ctx?.byteLength ?? 0,
        ctx_out: ctxOut,
        ctx_size_out: ctxOutSize,
        repeat: opts.repeat ?? 1,
        flags: opts.flags ?? 0,
        cpu: opts.cpu ?? 0,
        batch_size: opts.batchSize ?? 0,
      });
      const { ret, attr } = bpfRaw('PROG_TEST_RUN', enc);
      const sizeOut = readU32(TestRunAttr, attr, 'data_size_out');
      if (ret < 0) {
        if (-ret === Errno.ENOSPC && dataOut && sizeOut > outSize) {
          outSize = sizeOut;
          continue;
        }
        throw new SyscallError('BPF_PROG_TEST_RUN', -ret, `${this.handle.description}${testRunHint(this.type, -ret, data)}`);
      }
      return {
        retval: readU32(TestRunAttr, attr, 'retval'),
        durationNs: readU32(TestRunAttr, attr, 'duration'),
        data: dataOut ? dataOut.subarray(0, Math.min(sizeOut, outSize)) : new Uint8Array(0),
        ctx: ctxOut ? ctxOut.subarray(0, readU32(TestRunAttr, attr, 'ctx_size_out')) : new Uint8Array(0),
      };
    }
  }

  /** BPF_OBJ_GET_INFO_BY_FD for this program. */
  info(): ProgramInfo {
    return programInfoByFd(this.fd);
  }

  close(): void {
    this.handle.close();
  }
}

/** Read bpf_prog_info for any program fd (also used by introspection). */
export function programInfoByFd(fd: number): ProgramInfo {
  let info = objInfo(fd, ProgInfo);
  const nrMaps = readU32(ProgInfo, info, 'nr_map_ids');
  let mapIds: number[] = [];
  if (nrMaps > 0) {
    const ids = new Uint32Array(nrMaps);
    info = objInfo(fd, ProgInfo, { nr_map_ids: nrMaps, map_ids: ids });
    mapIds = [...ids.subarray(0, Math.min(nrMaps, readU32(ProgInfo, info, 'nr_map_ids')))];
  }
  const type = readU32(ProgInfo, info, 'type');
  return {
    id: readU32(ProgInfo, info, 'id'),
    type,
    typeName: enumName(ProgType, type),
    name: readString(ProgInfo, info, 'name'),
    tag: Buffer.from(readBytes(ProgInfo, info, 'tag')).toString('hex'),
    xlatedLength: readU32(ProgInfo, info, 'xlated_prog_len'),
    jitedLength: readU32(ProgInfo, info, 'jited_prog_len'),
    loadTime: read(ProgInfo, info, 'load_time') as bigint,
    createdByUid: readU32(ProgInfo, info, 'created_by_uid'),
    mapIds,
    btfId: readU32(ProgInfo, info, 'btf_id'),
    verifiedInstructions: readU32(ProgInfo, info, 'verified_insns'),
    runTimeNs: read(ProgInfo, info, 'run_time_ns') as bigint,
    runCount: read(ProgInfo, info, 'run_cnt') as bigint,
  };
}

// Packet program types whose test run builds an skb or xdp_buff from data_in
// and refuses (EINVAL) anything shorter than an Ethernet header.
const NEEDS_ETH_HEADER = new Set<number>([ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.XDP, ProgType.CGROUP_SKB,
  ProgType.SOCKET_FILTER, ProgType.LWT_IN, ProgType.LWT_OUT, ProgType.LWT_XMIT, ProgType.LWT_SEG6LOCAL, ProgType.FLOW_DISSECTOR]);
const ETH_HLEN = 14;

/** Why a test run was likely refused, when the input makes it obvious. */
function testRunHint(type: number, errno: number, data: Uint8Array | null): string {
  if (errno !== Errno.EINVAL || !NEEDS_ETH_HEADER.has(type)) return '';
  const len = data?.byteLength ?? 0;
  if (len >= ETH_HLEN) return '';
  return `; ${enumName(ProgType, type)} test runs need data of at least ${ETH_HLEN} bytes (an Ethernet header), got ${len}`;
}

function cString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}
