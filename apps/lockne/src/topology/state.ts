// Each topology's temp directory and its state file: which process owns it and
// what it made, so sweepStale can clean up after a crashed run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Temp directories are named `<STATE_DIR_PREFIX><prefix>-XXXXXX` in os.tmpdir(). */
export const STATE_DIR_PREFIX = 'lockne-topology-';
const STATE_FILE = 'state.json';

/** What a topology made, written before it makes anything. */
export interface TopologyState {
  /** The process that created the topology. */
  owner: number;
  prefix: string;
  netns: string[];
  /** wireguard-go interfaces (their sockets live in /var/run/wireguard). */
  wgInterfaces: string[];
  /** PIDs of the processes it started and has not seen exit. */
  pids: number[];
}

/** Creates a topology's temp directory (mode 0700) and writes its first state. */
export function createStateDir(prefix: string, state: TopologyState): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${STATE_DIR_PREFIX}${prefix}-`));
  writeState(dir, state);
  return dir;
}

/** Replaces the state file atomically. */
export function writeState(dir: string, state: TopologyState): void {
  const tmp = path.join(dir, `${STATE_FILE}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, path.join(dir, STATE_FILE));
}

/** Every topology temp directory with its state (null when unreadable). */
export function listStates(): { dir: string; state: TopologyState | null }[] {
  const root = os.tmpdir();
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(STATE_DIR_PREFIX))
    .map((n) => {
      const dir = path.join(root, n);
      try {
        return { dir, state: JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as TopologyState };
      } catch {
        return { dir, state: null };
      }
    });
}
