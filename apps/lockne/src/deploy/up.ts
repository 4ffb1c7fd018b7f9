// `lockne up`: load, pin and attach everything, then reconcile profiles (maps,
// routing rules, cgroups) with the spec. Idempotent: a complete deployment is
// only reconciled; a partial one (an `up` killed midway) is removed and redone.
// Order matters for crash safety: every object is named or pinned the moment
// it exists, so `down` finds it whatever point a kill -9 interrupted.
import fs from 'node:fs';
import path from 'node:path';
import { cgroup2Root, ensureBpffs, type BpfObject } from '@lockne/bpf';
import { attachAndPin, loadObject, pinMaps } from '../kernel/object.js';
import { MAP_NAMES, PROGRAMS_WITH_LINKS, linkPin, mapPin } from '../kernel/layout.js';
import { currentNetnsCookie, currentNetnsInode } from '../kernel/netns.js';
import { openMaps } from '../kernel/maps.js';
import { down } from './down.js';
import { applyProfiles } from './profiles.js';
import { readState, stateFileFor, writeState, STATE_VERSION, type LockneState } from './state.js';
import { MARK_MASK, type DeploySpec } from './types.js';

export interface UpResult {
  state: LockneState;
  /** 'fresh': loaded now; 'reconciled': was up, profiles updated. */
  action: 'fresh' | 'reconciled';
  /** Things worth telling the user (a tunnel that does not exist yet, ...). */
  notes: string[];
}

/** True when every pin of a deployment exists. */
export function deploymentPinned(pinDir: string): boolean {
  const pins = [
    ...MAP_NAMES.map((m) => mapPin(pinDir, m)),
    ...PROGRAMS_WITH_LINKS.map((p) => linkPin(pinDir, p)),
  ];
  return pins.every((p) => fs.existsSync(p));
}

export function up(spec: DeploySpec, adHocNames: ReadonlySet<string> = new Set()): UpResult {
  const { settings } = spec;
  // Mounts bpffs at the pin dir's parent when nothing is mounted there.
  ensureBpffs(path.dirname(settings.pinDir));
  const stateFile = stateFileFor(settings.pinDir);
  const scope = settings.cgroup ?? cgroup2Root();
  const netnsInode = currentNetnsInode();
  const previous = readState(stateFile);
  const reusable = previous?.complete === true && previous.scope === scope && previous.netnsInode === netnsInode
    && previous.markBase === settings.markBase && deploymentPinned(settings.pinDir);

  let state: LockneState;
  let action: UpResult['action'];
  let obj: BpfObject | undefined;
  if (reusable) {
    state = previous!;
    action = 'reconciled';
  } else {
    // Partial, moved or changed: start clean (this also repairs a killed `up`).
    down({ pinDir: settings.pinDir, scope: previous?.scope ?? scope });
    state = {
      version: STATE_VERSION, pinDir: settings.pinDir, scope, netnsInode,
      netnsCookie: currentNetnsCookie().toString(), markBase: settings.markBase,
      tableBase: settings.tableBase, rulePriority: settings.rulePriority,
      profiles: [], exeRules: [], complete: false,
    };
    writeState(stateFile, state);
    fs.mkdirSync(settings.pinDir, { mode: 0o700 });
    obj = loadObject({ markBase: settings.markBase, markMask: MARK_MASK });
    action = 'fresh';
  }

  let notes: string[];
  try {
    if (obj) pinMaps(obj, settings.pinDir);
    const maps = openMaps(settings.pinDir);
    try {
      maps.settings.set(0, { netnsCookie: BigInt(state.netnsCookie), defaultProfile: 0, pad: 0 });
      notes = applyProfiles(state, spec, maps, adHocNames);
    } finally {
      maps.close();
    }
    // Programs last: until now no socket could be marked for a profile without its rules.
    if (obj) attachAndPin(obj, scope, settings.pinDir);
  } finally {
    obj?.close();
  }
  state.complete = true;
  writeState(stateFile, state);
  return { state, action, notes };
}
