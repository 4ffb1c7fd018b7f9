// Starting the server's services (server-main.js) inside the server namespace.
import fs from 'node:fs';
import path from 'node:path';
import { appFile } from '../paths.js';
import { inNetnsArgv, pollUntil } from './exec.js';
import type { ProcessSet, Tracked } from './processes.js';
import type { ServerConfig } from './server-main.js';

/** The compiled services script. */
export const SERVER_SCRIPT = appFile('dist/src/topology/server-main.js');
const READY_TIMEOUT_MS = 10_000;

/**
 * Writes the config into `dir`, spawns the services in `netns` (a child we own)
 * and waits for its "ready" line; throws with its output if it exits first.
 */
export async function startServices(procs: ProcessSet, netns: string, dir: string, config: ServerConfig): Promise<Tracked> {
  const configFile = path.join(dir, 'server.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const t = procs.spawn(inNetnsArgv(netns, [process.execPath, SERVER_SCRIPT, configFile]), `services in ${netns}`, {}, true);
  await pollUntil(`the services in netns ${netns} to listen`, READY_TIMEOUT_MS, () => {
    if (t.output.toString().includes('ready\n')) return true;
    if (t.child.exitCode !== null || t.child.signalCode !== null || t.child.pid === undefined) {
      throw new Error(`services in netns ${netns} exited (${t.child.exitCode ?? t.child.signalCode ?? 'not started'}): ${t.output.toString().trim() || 'no output'}`);
    }
    return undefined;
  });
  return t;
}
