// Policy routing for profiles, over rtnetlink (net/). Per profile and family,
// at priorities P = profile.rulePriority:
//   P+0  fwmark M to <bypass>  lookup main      (exclude mode: tunnel endpoints etc. stay direct)
//   P+1  fwmark M              lookup T         (T: default dev <tunnel>)
//   P+2  fwmark M              unreachable      (kill switch: no tunnel route → fail, never main)
// Every rule and route carries Lockne's protocol tag, so `down` finds them
// without a state file. Replies arrive on the tunnel from addresses the main
// table routes elsewhere, so the tunnel gets loose reverse-path filtering.
import { withNetlink } from '@lockne/bpf';
import { LOCKNE_PROTOCOL } from '../net/consts.js';
import { deleteAllRulesWithProtocol, deleteRule, ensureRule, listRules, type RuleSpec } from '../net/rules.js';
import { deleteAllRoutesWithProtocol, deleteRoute, listRoutes, replaceRoute } from '../net/routes.js';
import { getLink, linkStatus } from '../net/links.js';
import { getRpFilter, setRpFilter } from '../net/sysctl.js';
import type { IpFamily } from '../net/addr.js';
import type { AppliedProfile } from './state.js';

const FAMILIES: readonly IpFamily[] = [4, 6];
const MAIN_TABLE = 254;

/** The rules a profile needs (both families). */
export function profileRules(p: Pick<AppliedProfile, 'mark' | 'table' | 'rulePriority' | 'killSwitch' | 'mode' | 'bypass'>): RuleSpec[] {
  const out: RuleSpec[] = [];
  for (const family of FAMILIES) {
    const base = { family, fwmark: p.mark, fwmask: 0xffffffff, protocol: LOCKNE_PROTOCOL };
    if (p.mode === 'exclude') {
      for (const dst of p.bypass) {
        if (dst.includes(':') === (family === 6)) out.push({ ...base, priority: p.rulePriority, dst, table: MAIN_TABLE });
      }
    }
    out.push({ ...base, priority: p.rulePriority + 1, table: p.table });
    if (p.killSwitch) out.push({ ...base, priority: p.rulePriority + 2, action: 'unreachable' });
  }
  return out;
}

const ruleKey = (r: RuleSpec): string =>
  [r.family, r.priority, r.fwmark ?? '', r.dst ?? '', r.action ?? 'to_tbl', r.action && r.action !== 'to_tbl' ? '' : r.table ?? ''].join('|');

export type TunnelState = 'up' | 'down' | 'missing';

/** Whether a tunnel interface exists and is up, in the current network namespace. */
export function tunnelState(iface: string): TunnelState {
  return withNetlink({}, (nl) => linkStatus(nl, iface));
}

export function interfaceExists(iface: string): boolean {
  return tunnelState(iface) !== 'missing';
}

/**
 * Make Lockne's rules and routes exactly those of `profiles`: new ones are
 * added before stale ones are removed, so a live mark never lacks its rules.
 */
export function applyRouting(profiles: readonly AppliedProfile[]): void {
  withNetlink({}, (nl) => {
    const wanted = profiles.flatMap(profileRules);
    for (const r of wanted) ensureRule(nl, r);
    const keys = new Set(wanted.map(ruleKey));
    for (const family of FAMILIES) {
      for (const r of listRules(nl, family)) {
        if (r.protocol !== LOCKNE_PROTOCOL) continue;
        const spec: RuleSpec = { ...r, action: r.action === 'unspec' ? 'to_tbl' : r.action } as RuleSpec;
        if (!keys.has(ruleKey(spec))) deleteRule(nl, r);
      }
    }
    for (const p of profiles) {
      if (!getLink(nl, p.via)) continue;
      for (const family of FAMILIES) {
        try {
          replaceRoute(nl, { family, table: p.table, dst: 'default', dev: p.via, protocol: LOCKNE_PROTOCOL });
        } catch (e) {
          // IPv6 disabled on the tunnel: IPv6 of the profile's apps then fails (unreachable), never leaks.
          if (family === 4) throw e;
          replaceRoute(nl, { family, table: p.table, dst: 'default', type: 'unreachable', protocol: LOCKNE_PROTOCOL });
        }
      }
      // Loose reverse-path filtering on the tunnel (the kernel takes max(all, iface), so 2 wins over strict 1).
      if (getRpFilter(p.via) !== 2) setRpFilter(p.via, 2);
    }
    // Routes in tables no profile uses any more (a profile removed, table_base changed).
    const tables = new Set(profiles.map((p) => p.table));
    for (const r of listRoutes(nl, { protocol: LOCKNE_PROTOCOL })) if (!tables.has(r.table)) deleteRoute(nl, r);
  });
}

/** Remove every rule and route tagged as Lockne's in this namespace. */
export function removeRouting(): { rules: number; routes: number } {
  return withNetlink({}, (nl) => {
    const rules = deleteAllRulesWithProtocol(nl, LOCKNE_PROTOCOL).length;
    const routes = deleteAllRoutesWithProtocol(nl, LOCKNE_PROTOCOL).length;
    return { rules, routes };
  });
}
