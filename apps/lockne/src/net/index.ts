// Lockne's kernel networking plumbing, all over netlink/procfs from
// TypeScript (no `ip`): policy rules and routes tagged LOCKNE_PROTOCOL,
// interface state, per-namespace sysctls, and sock_diag socket listing and
// destruction. rtnetlink functions take a NETLINK_ROUTE NetlinkSocket, so one
// socket (opened in the right namespace) serves a whole `lockne up`.
//
// @example
// import { withNetlink } from '@lockne/bpf';
// import { LOCKNE_PROTOCOL, ensureRule, replaceRoute, deleteAllRulesWithProtocol } from './net/index.js';
// withNetlink({ netns: 'lkc' }, (nl) => {
//   ensureRule(nl, { family: 4, priority: 10000, fwmark: 0x4c01, fwmask: 0xffffffff, table: 0x4c01 });
//   ensureRule(nl, { family: 4, priority: 10001, fwmark: 0x4c01, fwmask: 0xffffffff, action: 'unreachable' });
//   replaceRoute(nl, { family: 4, table: 0x4c01, dev: 'wg0' });
// });
export * from './consts.js';
export * from './addr.js';
export { describeRule, decodeRule, listRules, addRule, ensureRule, deleteRule, deleteAllRulesWithProtocol, type Rule, type RuleSpec, type RuleAction, type Range } from './rules.js';
export { describeRoute, decodeRoute, listRoutes, addRoute, replaceRoute, deleteRoute, flushTableWithProtocol, deleteAllRoutesWithProtocol, type Route, type RouteSpec, type RouteType, type RouteFilter } from './routes.js';
export { getLink, requireLink, linkStatus, listAddresses, decodeAddress, type LinkState, type IfAddress, type OperState, type AddressFilter } from './links.js';
export { readSysctl, readSysctlInt, writeSysctl, sysctlPath, confKey, setRpFilter, getRpFilter, effectiveRpFilter, setSrcValidMark, type SysctlKey, type SysctlOptions, type RpFilterMode } from './sysctl.js';
export {
  SockDiag, listInetSockets, listSocketStorage, decodeSocketStorages, destroySocket, destroySocketsOfPid, socketInodesOfPid, describeSocket, decodeInetDiagMsg, SOCKET_STATES,
  type StorageMapRef, type SocketStorage, type SocketId, type InetSocket, type InetProtocol, type SocketState, type SocketFilter, type SockDiagOptions, type DestroyOfPidOptions,
} from './sock-diag.js';
