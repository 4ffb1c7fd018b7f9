// `lockne down`: remove everything a deployment made — links (unpinning
// detaches), maps, the pin directory, routing rules and routes (found by
// Lockne's protocol tag, whoever made them), profile cgroups (their processes
// move to the scope, unrouted), the state file. Works with or without a state
// file and after a kill -9 at any point of `up`; running it twice is fine.
import fs from 'node:fs';
import path from 'node:path';
import { cgroup2Root, unpin } from '@lockne/bpf';
import { deploymentCgroups, removeCgroupMovingOut } from './cgroups.js';
import { removeRouting } from './routing.js';
import { readState, removeState, stateFileFor } from './state.js';

export interface DownOptions {
  pinDir: string;
  /** Where the programs were attached; default from the state file, else the cgroup v2 root. */
  scope?: string;
  /**
   * Remove Lockne-tagged rules and routes of this network namespace (default
   * true). Without a state file every tagged rule here is taken as this
   * deployment's: one deployment per namespace.
   */
  routing?: boolean;
}

export interface DownResult {
  pins: number;
  rules: number;
  routes: number;
  cgroups: number;
}

/** Remove the pins under `pinDir`: links first, so nothing runs against half-removed maps. */
function removePins(pinDir: string): number {
  let names: string[];
  try {
    names = fs.readdirSync(pinDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  names.sort((a, b) => Number(b.startsWith('link_')) - Number(a.startsWith('link_')));
  for (const n of names) unpin(path.join(pinDir, n));
  fs.rmdirSync(pinDir);
  return names.length;
}

export function down(opts: DownOptions): DownResult {
  const stateFile = stateFileFor(opts.pinDir);
  let scope = opts.scope;
  try {
    scope ??= readState(stateFile)?.scope;
  } catch {
    // A corrupt state file does not stop `down`; it is removed below.
  }
  scope ??= cgroup2Root();
  const pins = removePins(opts.pinDir);
  const { rules, routes } = opts.routing === false ? { rules: 0, routes: 0 } : removeRouting();
  const deployment = path.basename(opts.pinDir);
  const groups = deploymentCgroups(scope, deployment);
  for (const g of groups) removeCgroupMovingOut(g, scope);
  removeState(stateFile);
  return { pins, rules, routes, cgroups: groups.length };
}
