// The one door to bpf(2). Every command goes through bpfCall, which lays out the
// attr, patches in pointers, retries on EINTR/EAGAIN where the kernel asks us to,
// and turns -errno into a SyscallError naming the command.
import { native } from './native.js';
import { encode, type Encoded, type Fields, type Struct, type Values } from './layout.js';
import { BpfCmd, type BpfCmdName } from './consts.js';
import { Errno } from './errno.js';
import { SyscallError } from '../errors.js';

export interface BpfResult {
  /** The syscall's non-negative return value (often a new fd). */
  readonly ret: number;
  /** The attr after the call: the kernel writes results back into it. */
  readonly attr: Uint8Array;
}

const RETRIES = 5;

/** Issue a bpf(2) command; returns ret and attr, or -errno without throwing. */
export function bpfRaw(cmd: BpfCmdName, encoded: Encoded): { ret: number; attr: Uint8Array } {
  let ret = 0;
  for (let i = 0; i <= RETRIES; i++) {
    ret = native.bpf(BpfCmd[cmd], encoded.bytes, encoded.pointers, encoded.nested);
    // BPF_PROG_LOAD can return EAGAIN when interrupted; anything can see EINTR.
    if (ret !== -Errno.EINTR && !(ret === -Errno.EAGAIN && cmd === 'PROG_LOAD')) break;
  }
  return { ret, attr: encoded.bytes };
}

/** Issue a bpf(2) command with the attr laid out from `values`; throws SyscallError. */
export function bpfCall<F extends Fields>(cmd: BpfCmdName, layout: Struct<F>, values: Values<F>): BpfResult {
  const { ret, attr } = bpfRaw(cmd, encode(layout, values));
  if (ret < 0) throw new SyscallError(`BPF_${cmd}`, -ret);
  return { ret, attr };
}

/** Like bpfCall but returns -errno instead of throwing (for probes and expected misses). */
export function bpfTry<F extends Fields>(cmd: BpfCmdName, layout: Struct<F>, values: Values<F>): BpfResult {
  return bpfRaw(cmd, encode(layout, values));
}
