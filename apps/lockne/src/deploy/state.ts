// What `lockne up` set up, written next to nothing the kernel keeps (bpffs
// holds only pins): /run/lockne/<name>.json, replaced atomically. `down` does
// not need it — it finds everything by name and protocol tag — but `status`,
// `run --via` and `rule add` read it to know profiles, marks and tables.
import fs from 'node:fs';
import path from 'node:path';

export const STATE_VERSION = 1;

export interface AppliedProfile {
  index: number;
  name: string;
  via: string;
  mode: 'include' | 'exclude';
  dns4?: string;
  dns6?: string;
  killSwitch: boolean;
  mark: number;
  table: number;
  rulePriority: number;
  bypass: string[];
  /** The cgroup `lockne run --profile` starts apps in. */
  cgroup: string;
  /** Made by `run --via` with no config entry. */
  adHoc: boolean;
}

export interface AppliedExeRule {
  path: string;
  /** FNV-1a of the path, hex (the exeRules key). */
  hash: string;
  profile: string;
}

export interface LockneState {
  version: number;
  pinDir: string;
  /** Cgroup the programs are attached to (everything below it is routed). */
  scope: string;
  /** Network namespace the rules live in: inode of /proc/self/ns/net at `up`, and its cookie. */
  netnsInode: number;
  netnsCookie: string;
  markBase: number;
  tableBase: number;
  rulePriority: number;
  profiles: AppliedProfile[];
  exeRules: AppliedExeRule[];
  /** Set last: a state without it is a partial `up` (killed), which `up` redoes from scratch. */
  complete: boolean;
}

/** /run/lockne/<basename of the pin dir>.json: one state per deployment. */
export function stateFileFor(pinDir: string): string {
  return path.join('/run/lockne', `${path.basename(pinDir)}.json`);
}

/** The state, or undefined when there is none. A corrupt file is an error naming it. */
export function readState(file: string): LockneState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let s: LockneState;
  try {
    s = JSON.parse(text) as LockneState;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); \`lockne down\` removes it`);
  }
  if (s.version !== STATE_VERSION) throw new Error(`${file}: state version ${String(s.version)}, this lockne writes ${STATE_VERSION}; run \`lockne down\` first`);
  return s;
}

/** Write via a temp file and rename, so a kill leaves the old or the new state, never half of one. */
export function writeState(file: string, s: LockneState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o644 });
  fs.renameSync(tmp, file);
}

export function removeState(file: string): void {
  fs.rmSync(file, { force: true });
  // Temp files of writers that were killed between write and rename.
  const dir = path.dirname(file);
  const base = path.basename(file);
  try {
    for (const f of fs.readdirSync(dir)) if (f.startsWith(`${base}.`) && f.endsWith('.tmp')) fs.rmSync(path.join(dir, f), { force: true });
  } catch { /* no directory: nothing to remove */ }
}

/** The deployment's profile `name`; an error listing the profiles when there is none. */
export function profileByName(state: LockneState, name: string): LockneState['profiles'][number] {
  const p = state.profiles.find((x) => x.name === name);
  if (!p) throw new Error(`no profile '${name}' (have: ${state.profiles.map((x) => x.name).join(', ') || 'none'})`);
  return p;
}
