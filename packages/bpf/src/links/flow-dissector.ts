// flow_dissector: a FLOW_DISSECTOR program attached to a network namespace
// replaces the kernel's C flow dissector there (used for RPS, packet fanout,
// flower, ECMP hashing...). It fills struct bpf_flow_keys (ctx->flow_keys)
// and returns BPF_OK, or BPF_DROP when it cannot parse the packet.
import { ProgType, enumName } from '../sys/consts.js';
import { FlowKeysLayout } from '../sys/attrs.js';
import { ArgumentError } from '../errors.js';
import type { Program } from '../programs/program.js';
import { Link } from './link.js';
import { netnsInode, type NetnsTarget } from './netns.js';

/** Flow dissector return codes (enum bpf_ret_code). */
export const FlowDissectorResult = { OK: 0, DROP: 2 } as const;

/** struct bpf_flow_keys, decoded; ports and n_proto in host order. */
export interface FlowKeys {
  nhoff: number;
  thoff: number;
  /** ETH_P_IP (0x0800) or ETH_P_IPV6 (0x86dd): which of ipv4/ipv6 addresses are set. */
  addrProto: number;
  isFrag: boolean;
  isFirstFrag: boolean;
  isEncap: boolean;
  ipProto: number;
  nProto: number;
  sport: number;
  dport: number;
  /** Dotted/colon source and destination, per addrProto; undefined otherwise. */
  src?: string;
  dst?: string;
  flags: number;
  flowLabel: number;
}

const F = FlowKeysLayout.fields;

function ipv6(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return parts.join(':');
}

/** Decode 56 bytes of struct bpf_flow_keys. */
export function decodeFlowKeys(bytes: Uint8Array): FlowKeys {
  if (bytes.byteLength < FlowKeysLayout.size) {
    throw new ArgumentError(`struct bpf_flow_keys is ${FlowKeysLayout.size} bytes, got ${bytes.byteLength}`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const addrProto = v.getUint16(F.addr_proto.offset, true);
  const keys: FlowKeys = {
    nhoff: v.getUint16(F.nhoff.offset, true),
    thoff: v.getUint16(F.thoff.offset, true),
    addrProto,
    isFrag: v.getUint8(F.is_frag.offset) !== 0,
    isFirstFrag: v.getUint8(F.is_first_frag.offset) !== 0,
    isEncap: v.getUint8(F.is_encap.offset) !== 0,
    ipProto: v.getUint8(F.ip_proto.offset),
    nProto: v.getUint16(F.n_proto.offset, false),
    sport: v.getUint16(F.sport.offset, false),
    dport: v.getUint16(F.dport.offset, false),
    flags: v.getUint32(F.flags.offset, true),
    flowLabel: v.getUint32(F.flow_label.offset, false),
  };
  if (addrProto === 0x0800) {
    keys.src = [...bytes.subarray(F.ipv4_src.offset, F.ipv4_src.offset + 4)].join('.');
    keys.dst = [...bytes.subarray(F.ipv4_dst.offset, F.ipv4_dst.offset + 4)].join('.');
  } else if (addrProto === 0x86dd) {
    keys.src = ipv6(bytes.subarray(F.ipv6_src.offset, F.ipv6_src.offset + 16));
    keys.dst = ipv6(bytes.subarray(F.ipv6_dst.offset, F.ipv6_dst.offset + 16));
  }
  return keys;
}

/**
 * Run a flow dissector on one Ethernet frame (BPF_PROG_TEST_RUN); the kernel
 * starts it with nhoff = 14 and n_proto = the frame's EtherType, and returns
 * the keys it left. Kernel 5.0+.
 * @example
 * const { retval, keys } = dissectFlow(prog, frame); // keys.sport, keys.dst ...
 */
export function dissectFlow(prog: Program, frame: Uint8Array, opts: { repeat?: number } = {}): { retval: number; keys: FlowKeys; durationNs: number } {
  if (prog.type !== ProgType.FLOW_DISSECTOR) {
    throw new ArgumentError(`${prog.handle.description} is ${enumName(ProgType, prog.type)}; dissectFlow needs FLOW_DISSECTOR`);
  }
  if (frame.byteLength < 14) throw new ArgumentError(`a flow dissector test frame needs at least an Ethernet header (14 bytes), got ${frame.byteLength}`);
  const r = prog.testRun({ data: frame, dataOutSize: Math.max(FlowKeysLayout.size, frame.byteLength), repeat: opts.repeat ?? 1 });
  return { retval: r.retval, keys: decodeFlowKeys(r.data), durationNs: r.durationNs };
}

/**
 * Attach a FLOW_DISSECTOR program to a netns fd (BPF_LINK_CREATE, attach type
 * FLOW_DISSECTOR). One per namespace (EEXIST otherwise), and none in other
 * namespaces while the root netns has one. Closing the link detaches.
 * Kernel 5.7+ (links). Decode the link's info with netnsLinkInfo().
 * @example
 * const link = attachFlowDissector(prog, openNetns('lk1234'));
 */
export function attachFlowDissector(prog: Program, netns: NetnsTarget): Link {
  if (prog.type !== ProgType.FLOW_DISSECTOR) {
    throw new ArgumentError(`${prog.handle.description} is ${enumName(ProgType, prog.type)}; attachFlowDissector needs FLOW_DISSECTOR`);
  }
  const fd = typeof netns === 'number' ? netns : netns.fd;
  return Link.create(prog, fd, 'FLOW_DISSECTOR', { what: `flow_dissector link of ${prog.handle.description} on netns ${netnsInode(fd)}` });
}
