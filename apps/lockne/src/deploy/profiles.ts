// Reconcile a deployment's profiles with a spec: profile slots, cgroups, exe
// rules and routing. Runs on every `up` (and for `run --via`), so it only
// changes what differs and never leaves a moment where a routed socket's mark
// has no rule (new rules go in before stale ones go out).
import fs from 'node:fs';
import path from 'node:path';
import { DIRECT_PROFILE, MAX_PROFILES, ProfileFlag } from '../kernel/layout.js';
import { exeHash, MAX_EXE_PATH_BYTES } from '../kernel/exe-hash.js';
import type { LockneMaps, ProfileValue } from '../kernel/maps.js';
import { cgroupId, ensureCgroup, profileCgroupName, removeCgroupMovingOut } from './cgroups.js';
import { applyRouting, interfaceExists } from './routing.js';
import { ipv4Be32, ipv6Be32 } from './addresses.js';
import type { AppliedExeRule, AppliedProfile, LockneState } from './state.js';
import type { DeploySpec, ProfileSpec } from './types.js';

/** The value sock_create reads for a profile. */
export function profileValue(p: Pick<ProfileSpec, 'mark' | 'dns4' | 'dns6'>): ProfileValue {
  let flags = 0;
  if (p.dns4) flags |= ProfileFlag.DNS4;
  if (p.dns6) flags |= ProfileFlag.DNS6;
  // With an IPv4 server only, IPv6 DNS cannot be rewritten: refuse it rather than let it leak.
  else if (p.dns4) flags |= ProfileFlag.REFUSE_DNS6;
  return { mark: p.mark, flags, dns4: p.dns4 ? ipv4Be32(p.dns4) : 0, dns6: p.dns6 ? ipv6Be32(p.dns6) : [0, 0, 0, 0] };
}

/** What a profile's apps map to in the kernel: its index, or DIRECT when listed in an exclude profile. */
export function kernelProfileOf(p: Pick<ProfileSpec, 'index' | 'mode'>): number {
  return p.mode === 'exclude' ? DIRECT_PROFILE : p.index;
}

/** Paths an exe rule matches: as written and, when different, with symlinks resolved. */
export function exeRulePaths(p: string): string[] {
  const out = [p];
  try {
    const real = fs.realpathSync(p);
    if (real !== p) out.push(real);
  } catch { /* not there (yet): the path as written still matches */ }
  return out;
}

function applied(spec: ProfileSpec, cgroup: string, adHoc: boolean): AppliedProfile {
  return {
    index: spec.index, name: spec.name, via: spec.via, mode: spec.mode,
    ...(spec.dns4 ? { dns4: spec.dns4 } : {}), ...(spec.dns6 ? { dns6: spec.dns6 } : {}),
    killSwitch: spec.killSwitch, mark: spec.mark, table: spec.table, rulePriority: spec.rulePriority,
    bypass: [...spec.bypass], cgroup, adHoc,
  };
}

/**
 * Make the kernel maps, cgroups and routing match `spec` plus the ad-hoc
 * profiles and CLI exe rules already in `state`; updates `state` in place.
 * Returns notes for the user.
 */
export function applyProfiles(state: LockneState, spec: DeploySpec, maps: LockneMaps, adHocNames: ReadonlySet<string> = new Set()): string[] {
  const notes: string[] = [];
  const deployment = path.basename(state.pinDir);
  const configured = spec.profiles.map((p) => ({ p, adHoc: adHocNames.has(p.name) }));
  const names = new Set(spec.profiles.map((p) => p.name));
  // Ad-hoc profiles made by `run --via` stay until `down`, unless the config now has the name.
  for (const old of state.profiles) {
    if (old.adHoc && !names.has(old.name)) configured.push({ p: { ...old, apps: [] }, adHoc: true });
  }
  if (configured.length > MAX_PROFILES) throw new Error(`${configured.length} profiles: at most ${MAX_PROFILES}`);
  const excludes = configured.filter(({ p }) => p.mode === 'exclude');
  if (excludes.length > 1) throw new Error(`profiles ${excludes.map(({ p }) => p.name).join(', ')} are all in exclude mode: at most one can be`);

  const next: AppliedProfile[] = [];
  for (const { p, adHoc } of configured) {
    if (p.index < 1 || p.index > MAX_PROFILES) throw new Error(`profile ${p.name}: index ${p.index} out of 1..${MAX_PROFILES}`);
    const cg = ensureCgroup(path.join(state.scope, profileCgroupName(deployment, p.name)));
    maps.profiles.set(p.index, profileValue(p));
    maps.cgroupProfiles.set(cgroupId(cg), kernelProfileOf(p));
    next.push(applied(p, cg, adHoc));
    if (!interfaceExists(p.via)) {
      notes.push(`profile ${p.name}: interface ${p.via} does not exist; its apps are blocked${p.killSwitch ? '' : ' (no route)'} until it does and \`lockne up\` runs again`);
    }
  }
  maps.settings.set(0, { ...maps.settings.get(0)!, defaultProfile: excludes[0]?.p.index ?? 0 });

  // Routing before anything that could mark sockets for a new profile is used.
  applyRouting(next);

  // Exe rules: the config's apps, plus rules added with `lockne rule add` (kept until down).
  const rules: AppliedExeRule[] = [];
  const byName = new Map(next.map((p) => [p.name, p]));
  const wanted = new Map<bigint, number>();
  const add = (exe: string, profile: AppliedProfile | undefined, source: string): void => {
    if (!profile) { notes.push(`exe rule ${exe}: profile '${source}' no longer exists; dropped`); return; }
    if (Buffer.byteLength(exe) > MAX_EXE_PATH_BYTES) throw new Error(`exe rule '${exe}': longer than ${MAX_EXE_PATH_BYTES} bytes`);
    for (const variant of exeRulePaths(exe)) wanted.set(exeHash(variant), kernelProfileOf(profile));
    rules.push({ path: exe, hash: exeHash(exe).toString(16), profile: profile.name });
  };
  for (const { p } of configured) for (const exe of p.apps) add(exe, byName.get(p.name), p.name);
  for (const r of state.exeRules) if (!rules.some((x) => x.path === r.path)) add(r.path, byName.get(r.profile), r.profile);
  for (const [h, v] of wanted) maps.exeRules.set(h, v);
  for (const h of [...maps.exeRules.keys()]) if (!wanted.has(h)) maps.exeRules.delete(h);

  // Profiles that are gone: slot cleared, cgroup emptied into the scope and removed.
  const keep = new Set(next.map((p) => p.cgroup));
  for (const old of state.profiles) {
    if (keep.has(old.cgroup)) continue;
    try { maps.cgroupProfiles.delete(cgroupId(old.cgroup)); } catch { /* cgroup already gone */ }
    removeCgroupMovingOut(old.cgroup, state.scope);
  }
  const used = new Set(next.map((p) => p.index));
  for (let i = 1; i <= MAX_PROFILES; i++) if (!used.has(i)) maps.profiles.set(i, { mark: 0, flags: 0, dns4: 0, dns6: [0, 0, 0, 0] });

  state.profiles = next;
  state.exeRules = rules;
  return notes;
}
