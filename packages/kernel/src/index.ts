// @lockne/kernel: what a *.bpf.ts program imports. See docs/language.md.
export { KernelOnlyError, kernelOnly } from './kernel-only.js';
export type { TypeDesc, TypeKind, Infer } from './types.js';
export {
  u8, u16, u32, u64, i8, i16, i32, i64, be16, be32, bool, htons, htonl, ntohs, ntohl,
  type IntLike, type IntDesc, type IntType,
} from './ints.js';
export {
  kernelStruct, kernelPtr, type KernelStructDesc, type KernelPtrDesc, type KernelField, type KernelFieldValue, type KernelRef,
  type KernelRefFieldValue, type KernelStructName, type KernelName,
} from './core.js';
export * as core from './core.js';
export { struct, array, type FixedArray, type StructDesc, type ArrayDesc, type FieldLayout, type StructValue } from './struct.js';
export type { PacketAccess } from './context/packet.js';
export { XdpAction, type XdpContext } from './context/xdp.js';
export {
  TcAction, CgroupVerdict, StoreFlag, CsumFlag, AdjRoomMode, AdjRoomFlag, type SkBuffContext, type SocketFilterContext, type TcContext, type CgroupSkbContext,
} from './context/skbuff.js';
export type { SockContext, SockAddrContext } from './context/sock.js';
export type { SockoptContext, SetsockoptContext, GetsockoptContext } from './context/sockopt.js';
export { SysctlName, type SysctlContext } from './context/sysctl.js';
export { DeviceType, DeviceAccess, type DeviceContext } from './context/device.js';
export { SockOp, type SockOpsContext } from './context/sockops.js';
export { SkAction, type SkLookupContext } from './context/sk-lookup.js';
export type { SkMsgContext } from './context/sk-msg.js';
export type { TaskIterContext, SkStorageIterContext } from './context/iter.js';
export type { KprobeContext, RawTracepointContext, TracepointContext, TracingResult, ArgIndex, BtfArgsContext } from './context/tracing.js';
export * from './programs.js';
export { MapDecl, MapTypes, UpdateFlag, nameMaps, type Ref, type MapOptions, type MapTypeName, type Pinning, type HelperResult } from './maps/common.js';
export { HashMap, PerCpuHashMap, LruHashMap, LruPerCpuHashMap, KeyedMap } from './maps/hash.js';
export { ArrayMap, PerCpuArrayMap, type ArrayOptions } from './maps/array.js';
export { RingBuf, RingBufWakeup, type RingBufOptions } from './maps/ringbuf.js';
export * as bpf from './helpers/index.js';
export { HELPER_BINDINGS, METHOD_BINDINGS, type BpfHelperFn } from './helpers/table.js';
export { DIAGNOSTICS, diagnosticInfo, type DiagnosticCode, type DiagnosticInfo } from './diagnostic-codes.js';
export { EthHdr, Ipv4Hdr, Ipv6Hdr, TcpHdr, UdpHdr, IcmpHdr, EtherType, IpProto, TcpFlag, AddressFamily } from './packet.js';
export { rodata, data, bss, license, type GlobalDecl, type ReadonlyGlobal, type GlobalSection, type LicenseDecl } from './globals.js';
export { log, LogLevel, LOG_RECORD, type LogTag } from './log.js';
export { atomicAdd, atomicFetchAdd, atomicAnd, atomicOr, atomicXor, atomicXchg, atomicCmpXchg } from './atomic.js';
export { spinLock, type SpinLock } from './sync.js';
export { PerfEventArray, CURRENT_CPU } from './maps/perf.js';
export { ProgramArray } from './maps/prog-array.js';
export { SkStorage, TaskStorage, StorageFlag, type StorageOptions, type SocketOwner } from './maps/storage.js';
export { LpmTrie, LpmKeyV4, LpmKeyV6, lpmKey, LPM_NO_PREALLOC, type LpmKeyShape } from './maps/lpm-trie.js';
export { QueueMap, StackMap, BloomFilter, PushFlag, type ValueMapOptions, type BloomFilterOptions } from './maps/queue.js';
export { DevMap, DevMapHash, CpuMap, XskMap, RedirectFlag, type RedirectMapOptions } from './maps/redirect-maps.js';
export { ArrayOfMaps, HashOfMaps, type InnerMap, type MapOfMapsOptions } from './maps/map-of-maps.js';
export { CgroupStorage, PerCpuCgroupStorage, type CgroupStorageOptions } from './maps/cgroup-storage.js';
export { CgroupArray } from './maps/cgroup-array.js';
export { StackTrace, StackIdFlag } from './maps/stack-trace.js';
export { SockMap, SockHash, SockRedirectFlag, type SockMapOptions } from './maps/sock-maps.js';
export { UserRingBuf } from './maps/user-ringbuf.js';
export { Arena, ARENA_MMAPABLE } from './maps/arena.js';
