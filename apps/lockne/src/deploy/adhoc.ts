// Profiles made on the command line (`lockne run --via IFACE`): added to the
// running deployment (or to a fresh one) next to the configured profiles, and
// kept until `down`.
import type { LockneState } from './state.js';
import type { DeploySpec, ProfileSpec } from './types.js';
import { MAX_PROFILES } from '../kernel/layout.js';
import { RULE_PRIORITY_STRIDE } from '../config/types.js';

/** The deployment's current profiles as a spec (ad-hoc ones included; exe rules come from the state). */
export function specFromState(state: LockneState): DeploySpec {
  return {
    settings: { pinDir: state.pinDir, cgroup: state.scope, markBase: state.markBase, tableBase: state.tableBase, rulePriority: state.rulePriority },
    profiles: state.profiles.map((p) => ({ ...p, apps: [] })),
  };
}

/** A profile routing through `via`, at the highest free index (configured profiles fill from 1 up). */
export function adHocProfile(spec: DeploySpec, via: string, dns?: { dns4?: string; dns6?: string }): ProfileSpec {
  const used = new Set(spec.profiles.map((p) => p.index));
  let index = MAX_PROFILES;
  while (index > 0 && used.has(index)) index--;
  if (index === 0) throw new Error(`no free profile slot for --via ${via}: ${MAX_PROFILES} profiles exist`);
  const s = spec.settings;
  return {
    index, name: `via-${via}`, via, mode: 'include', killSwitch: true, apps: [], bypass: [],
    ...(dns?.dns4 ? { dns4: dns.dns4 } : {}), ...(dns?.dns6 ? { dns6: dns.dns6 } : {}),
    mark: s.markBase + index, table: s.tableBase + index, rulePriority: s.rulePriority + RULE_PRIORITY_STRIDE * index,
  };
}
