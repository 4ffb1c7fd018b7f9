// `lockne rule add/remove`: exe rules on a running deployment. They go into
// the kernel map at once (the next exec of that path is routed) and into the
// state, so a later `up` keeps them; `down` forgets them (put lasting rules in
// the config's `apps`).
import path from 'node:path';
import { exeHash, MAX_EXE_PATH_BYTES } from '../kernel/exe-hash.js';
import { openMaps } from '../kernel/maps.js';
import { exeRulePaths, kernelProfileOf } from '../deploy/profiles.js';
import { profileByName, stateFileFor, writeState, type LockneState } from '../deploy/state.js';

export function addExeRule(state: LockneState, exe: string, profileName: string): string[] {
  if (!path.isAbsolute(exe)) throw new Error(`--exe ${exe}: give the absolute path (what exec() sees)`);
  if (Buffer.byteLength(exe) > MAX_EXE_PATH_BYTES) throw new Error(`--exe ${exe}: longer than ${MAX_EXE_PATH_BYTES} bytes`);
  const p = profileByName(state, profileName);
  const other = state.exeRules.find((r) => r.path === exe && r.profile !== p.name);
  if (other) throw new Error(`--exe ${exe}: already routed by profile ${other.profile} (remove that rule first)`);
  const variants = exeRulePaths(exe);
  const maps = openMaps(state.pinDir);
  try {
    for (const v of variants) maps.exeRules.set(exeHash(v), kernelProfileOf(p));
  } finally {
    maps.close();
  }
  if (!state.exeRules.some((r) => r.path === exe)) state.exeRules.push({ path: exe, hash: exeHash(exe).toString(16), profile: p.name });
  writeState(stateFileFor(state.pinDir), state);
  return variants;
}

export function removeExeRule(state: LockneState, exe: string): boolean {
  const i = state.exeRules.findIndex((r) => r.path === exe);
  if (i < 0) return false;
  const maps = openMaps(state.pinDir);
  try {
    for (const v of exeRulePaths(exe)) maps.exeRules.delete(exeHash(v));
  } finally {
    maps.close();
  }
  state.exeRules.splice(i, 1);
  writeState(stateFileFor(state.pinDir), state);
  return true;
}
