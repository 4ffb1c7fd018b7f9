// The cgroups Lockne makes: one per profile, `<scope>/<deployment>-<profile>`,
// which `lockne run` starts apps in and `lockne attach` moves apps to. cgroup v2
// ids are the directory's inode number — what bpf_get_current_cgroup_id() returns.
import fs from 'node:fs';
import path from 'node:path';
import { cgroupProcs, enterCgroup } from '@lockne/bpf';

/** Directory name of a profile's cgroup: deployment name (pin dir basename) + profile. */
export function profileCgroupName(deployment: string, profile: string): string {
  return `${deployment}-${profile}`;
}

/** Create the cgroup if it is missing; returns its path. */
export function ensureCgroup(p: string): string {
  try {
    fs.mkdirSync(p, { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`mkdir cgroup ${p}: ${(e as Error).message}`);
  }
  return p;
}

/** The cgroup id (kernfs inode) of a cgroup directory. */
export function cgroupId(p: string): bigint {
  return fs.statSync(p, { bigint: true }).ino;
}

/** PIDs in a cgroup; [] when it is gone (status reads cgroups a `down` may be removing). */
export function cgroupPids(p: string): number[] {
  try {
    return cgroupProcs(p);
  } catch {
    return [];
  }
}

/**
 * Remove a cgroup, first moving its processes to `parent` (they keep running,
 * unrouted). Retries while processes are still leaving (a dying process can
 * linger a moment and make rmdir fail with EBUSY).
 */
export function removeCgroupMovingOut(p: string, parent: string): void {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (!fs.existsSync(p)) return;
    for (const child of fs.readdirSync(p, { withFileTypes: true })) {
      if (child.isDirectory()) removeCgroupMovingOut(path.join(p, child.name), parent);
    }
    for (const pid of cgroupPids(p)) {
      try { enterCgroup(parent, pid); } catch { /* exited meanwhile */ }
    }
    try {
      fs.rmdirSync(p);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt === 49) throw new Error(`rmdir cgroup ${p}: ${code ?? ''} (${(e as Error).message})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Lockne's cgroups of a deployment under `scope` (by name). */
export function deploymentCgroups(scope: string, deployment: string): string[] {
  try {
    return fs.readdirSync(scope, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name.startsWith(`${deployment}-`))
      .map((d) => path.join(scope, d.name));
  } catch {
    return [];
  }
}
