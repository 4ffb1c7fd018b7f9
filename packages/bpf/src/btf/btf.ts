// BTF_LOAD: hand a BTF blob (from @lockne/obj's BtfWriter or an ELF's .BTF)
// to the kernel and hold the resulting fd. A rejection keeps the kernel's
// BTF verifier log, grown on ENOSPC like the program verifier's.
import { FdHandle } from '../fd.js';
import { bpfRaw } from '../sys/syscall.js';
import { encode, readU32 } from '../sys/layout.js';
import { BtfInfo, BtfLoadAttr, GetIdAttr } from '../sys/attrs.js';
import { objInfo } from '../sys/info.js';
import { Errno } from '../sys/errno.js';
import { ArgumentError, SyscallError } from '../errors.js';

/** BTF_LOAD rejected the blob; `log` is the kernel's BTF verifier output. */
export class BtfLoadError extends SyscallError {
  override name = 'BtfLoadError';
  readonly log: string;
  constructor(errno: number, log: string) {
    super('BPF_BTF_LOAD', errno);
    this.log = log;
    const tail = log.trimEnd().split('\n').slice(-10);
    if (log.trim()) this.message += `\nBTF log (last ${tail.length} lines):\n${tail.map((l) => `  ${l}`).join('\n')}`;
  }
}

export interface BtfInfoResult {
  id: number;
  /** Size of the raw BTF in bytes. */
  size: number;
  /** True for vmlinux and module BTF. */
  kernel: boolean;
}

const LOG_START = 64 * 1024;
const LOG_MAX = 16 * 1024 * 1024;

/**
 * A BTF object loaded into the kernel (5.x+, BTF_LOAD). Maps and programs refer
 * to its types by id; they keep their own reference, so the Btf may be closed
 * once they are created.
 * @example
 * const w = new BtfWriter(); const int = w.int('int', 4, { signed: true });
 * const btf = Btf.load(w.encode());
 * try { ... btf.fd ... } finally { btf.close(); }
 */
export class Btf {
  readonly handle: FdHandle;

  constructor(fd: number) {
    this.handle = new FdHandle(fd, 'BTF object');
  }

  get fd(): number {
    return this.handle.fd;
  }

  /** Load `data` (raw BTF). logLevel 1 always collects the log; by default only on failure. */
  static load(data: Uint8Array, opts: { logLevel?: number } = {}): Btf {
    if (data.byteLength < 24) throw new ArgumentError(`BTF blob of ${data.byteLength} bytes is shorter than its header`);
    let level = opts.logLevel ?? 0;
    let size = level ? LOG_START : 0;
    for (;;) {
      const log = size ? new Uint8Array(size) : null;
      const { ret, attr } = bpfRaw('BTF_LOAD', encode(BtfLoadAttr, {
        btf: data, btf_size: data.byteLength, btf_log_buf: log, btf_log_size: size, btf_log_level: level,
      }));
      if (ret >= 0) return new Btf(ret);
      if (-ret === Errno.ENOSPC && size && size < LOG_MAX) {
        size = Math.min(LOG_MAX, Math.max(size * 4, readU32(BtfLoadAttr, attr, 'btf_log_true_size') + 1));
        continue;
      }
      if (!size && -ret !== Errno.EPERM && -ret !== Errno.ENOMEM) {
        // Failed without a log: load again with one to say why.
        level = 1;
        size = LOG_START;
        continue;
      }
      throw new BtfLoadError(-ret, log ? cString(log) : '');
    }
  }

  /** Open BTF by id (BTF_GET_FD_BY_ID), e.g. a map's btfId. */
  static fromId(id: number): Btf {
    const { ret } = bpfRaw('BTF_GET_FD_BY_ID', encode(GetIdAttr, { id }));
    if (ret < 0) throw new SyscallError('BPF_BTF_GET_FD_BY_ID', -ret, `BTF id ${id}`);
    return new Btf(ret);
  }

  info(): BtfInfoResult {
    const info = objInfo(this.fd, BtfInfo);
    return {
      id: readU32(BtfInfo, info, 'id'),
      size: readU32(BtfInfo, info, 'btf_size'),
      kernel: readU32(BtfInfo, info, 'kernel_btf') !== 0,
    };
  }

  close(): void {
    this.handle.close();
  }
}

function cString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}
