// Where a command's settings come from: the config file (--config, default
// /etc/lockne/config.toml) for `up`; the deployment's state for everything
// that acts on a running deployment, so `status`/`run`/`rule` work the same
// whichever config the deployment was made from.
import fs from 'node:fs';
import { loadConfig, DEFAULT_CONFIG_PATH } from '../config/index.js';
import { DEFAULT_SETTINGS, type LockneConfig } from '../config/types.js';
import { readState, stateFileFor, type LockneState } from '../deploy/state.js';

export interface GlobalOptions {
  config?: string;
  pinDir?: string;
}

/** The config: --config must exist; the default path may be missing (undefined then). */
export function configFor(g: GlobalOptions): LockneConfig | undefined {
  if (g.config) return loadConfig(g.config);
  if (!fs.existsSync(DEFAULT_CONFIG_PATH)) return undefined;
  return loadConfig(DEFAULT_CONFIG_PATH);
}

/** The pin dir a command acts on: --pin-dir, else the config's, else the default. */
export function pinDirFor(g: GlobalOptions): string {
  if (g.pinDir) return g.pinDir;
  if (g.config) return loadConfig(g.config).settings.pinDir;
  return DEFAULT_SETTINGS.pinDir;
}

/** The running deployment's state; a clear error when Lockne is not up. */
export function requireState(g: GlobalOptions): LockneState {
  const pinDir = pinDirFor(g);
  const s = readState(stateFileFor(pinDir));
  if (!s || !s.complete) throw new Error(`lockne is not up (no complete deployment for ${pinDir}): run \`lockne up\` first`);
  return s;
}

export function maybeState(g: GlobalOptions): LockneState | undefined {
  const s = readState(stateFileFor(pinDirFor(g)));
  return s?.complete ? s : undefined;
}
