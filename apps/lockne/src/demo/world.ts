// Running Lockne inside a topology (demo and tests): a config for the
// topology's tunnels, a scope cgroup of our own (so only processes we put
// there are affected), and the `lockne` CLI run inside the client namespace
// (policy routing is per namespace; cgroups and bpffs are global).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroup2Root } from '@lockne/bpf';
import { inNetnsArgv, tryRunAsync, type RunResult, type Topology } from '../topology/index.js';
import { ensureCgroup, removeCgroupMovingOut } from '../deploy/cgroups.js';
import { LOCKNE_BIN } from '../paths.js';

/** The CLI the world runs: the installed command (the bundle), as users run it. */
export const CLI = LOCKNE_BIN;

export interface WorldProfile {
  name: string;
  /** Tunnel (index or name in the topology). */
  tunnel: number | string;
  mode?: 'include' | 'exclude';
  /** Send the profile's DNS to the server's DNS on this tunnel. */
  dns?: boolean;
  killSwitch?: boolean;
  apps?: string[];
  bypass?: string[];
}

/** A deployment of Lockne in a topology: its config file, scope cgroup and pin dir, all named by `name`. */
export class LockneWorld {
  readonly dir: string;
  readonly configFile: string;
  readonly scope: string;
  readonly pinDir: string;

  constructor(readonly topo: Topology, readonly name: string, profiles: WorldProfile[]) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    this.scope = path.join(cgroup2Root(), `${name}-scope`);
    this.pinDir = `/sys/fs/bpf/${name}`;
    ensureCgroup(this.scope);
    const lines = [
      '[lockne]',
      `cgroup = "${this.scope}"`,
      `pin_dir = "${this.pinDir}"`,
      '',
    ];
    for (const p of profiles) {
      const t = topo.tunnel(p.tunnel);
      lines.push(`[profile.${p.name}]`, `via = "${t.clientIf}"`, `mode = "${p.mode ?? 'include'}"`);
      if (p.dns) lines.push(`dns = ["${t.addresses.server.v4}", "${t.addresses.server.v6}"]`);
      if (p.killSwitch === false) lines.push('kill_switch = false');
      if (p.apps?.length) lines.push(`apps = [${p.apps.map((a) => JSON.stringify(a)).join(', ')}]`);
      if (p.bypass?.length) lines.push(`bypass = [${p.bypass.map((a) => JSON.stringify(a)).join(', ')}]`);
      lines.push('');
    }
    this.configFile = path.join(this.dir, 'config.toml');
    fs.writeFileSync(this.configFile, lines.join('\n'));
  }

  /** argv of `lockne --config F ARGS…` inside the client namespace. */
  lockneArgv(args: readonly string[]): string[] {
    return inNetnsArgv(this.topo.client.name, [process.execPath, CLI, '--config', this.configFile, ...args]);
  }

  /** Run `lockne ARGS…` in the client namespace. */
  lockne(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return tryRunAsync(this.lockneArgv(args), { env: { ...process.env, ...env } });
  }

  /** argv that runs `argv` in the client namespace inside the scope cgroup, matched by no profile. */
  unroutedArgv(argv: readonly string[]): string[] {
    return inNetnsArgv(this.topo.client.name, ['sh', '-c', `echo $$ > ${this.scope}/cgroup.procs && exec "$@"`, 'sh', ...argv]);
  }

  /** `lockne down`, then remove the scope cgroup and the temp dir. Safe to call twice. */
  async close(): Promise<void> {
    if (fs.existsSync(this.configFile)) await this.lockne(['down']);
    removeCgroupMovingOut(this.scope, cgroup2Root());
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
