// Feature probes (cilium `features`, libbpf `libbpf_probe_*`): ask the running
// kernel instead of checking its version. Every answer is cached per process.
export { probeProgramType } from './program-type.js';
export { probeMapType } from './map-type.js';
export { probeHelper } from './helper.js';
export { probeAll, type ProbeTable, type ProbeAllOptions } from './all.js';
export {
  probeSyscallCount, clearProbeCache, requireSupported, missingReason, type ProbeResult, type ProbeStatus,
} from './result.js';
