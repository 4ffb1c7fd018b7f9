// Where a command's settings come from: the config file (--config, default
// /etc/lockne/config.toml) for `up`; the deployment's state for everything
// that acts on a running deployment, so `status`/`run`/`rule` work the same
// whichever config the deployment was made from.
//
// The config module (smol-toml and zod: ~40 ms to load, most of the lockne
// bundle) is imported only when a command reads a config or checks ad-hoc
// flags; `run`, `status` and the others that act on the state load it only
// when --config is given (the pin dir is then the config's).
import fs from 'node:fs';
import { DEFAULT_CONFIG_PATH, DEFAULT_SETTINGS, type LockneConfig } from '../config/types.js';
import { readState, stateFileFor, type LockneState } from '../deploy/state.js';

export interface GlobalOptions {
  config?: string;
  pinDir?: string;
}

/** The config parser (parse, load, ad-hoc profiles), loaded on first use. */
export function configModule(): Promise<typeof import('../config/parse.js')> {
  return import('../config/parse.js');
}

/** The config: --config must exist; the default path may be missing (undefined then). */
export async function configFor(g: GlobalOptions): Promise<LockneConfig | undefined> {
  const file = g.config ?? (fs.existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  if (file === undefined) return undefined;
  return (await configModule()).loadConfig(file);
}

/** The pin dir a command acts on: --pin-dir, else the config's, else the default. */
export async function pinDirFor(g: GlobalOptions): Promise<string> {
  if (g.pinDir) return g.pinDir;
  if (g.config) return (await configModule()).loadConfig(g.config).settings.pinDir;
  return DEFAULT_SETTINGS.pinDir;
}

/** The running deployment's state; a clear error when Lockne is not up. */
export async function requireState(g: GlobalOptions): Promise<LockneState> {
  const pinDir = await pinDirFor(g);
  const s = readState(stateFileFor(pinDir));
  if (!s || !s.complete) throw new Error(`lockne is not up (no complete deployment for ${pinDir}): run \`lockne up\` first`);
  return s;
}

export async function maybeState(g: GlobalOptions): Promise<LockneState | undefined> {
  const s = readState(stateFileFor(await pinDirFor(g)));
  return s?.complete ? s : undefined;
}
