// The test/demo topology: client and server namespaces, the direct path, WireGuard
// tunnels, whoami and DNS services, and a probe that plays "the app".
export { createTopology, Topology, type TopologyOptions, type NetnsHandle, type TunnelInfo } from './topology.js';
export { planTopology, prefixOfName, WHOAMI_PORT, DNS_PORT, WG_PORT_BASE, type Addresses, type PathAddresses, type TunnelPlan, type TopologyPlan } from './addressing.js';
export { sweepStale, type SweepReport } from './sweep.js';
export { probeArgv, probeArgs, parseProbeArgs, parseProbeOutput, digArgv, PROBE_SCRIPT, PROBE_KINDS, type ProbeKind, type ProbeRequest, type ProbeResult } from './probe.js';
export { CommandError, inNetnsArgv, netnsPath, pollUntil, run, runAsync, tryRun, tryRunAsync, type RunResult, type RunOptions } from './exec.js';
export { listNetns, netnsExists } from './netns.js';
export { pidAlive } from './processes.js';
export { wgSocketPath, WG_SOCKET_DIR } from './wireguard.js';
export type { ConnectionRecord, DnsQueryRecord, ServerRecord, WhoamiReply, Seen } from './records.js';
