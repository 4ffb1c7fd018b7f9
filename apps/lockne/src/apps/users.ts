// Who a launched app runs as. `sudo lockne run …` runs it as the invoking
// user (SUDO_UID/SUDO_GID, with that user's supplementary groups), `--user
// NAME` as NAME; plain root must say `--user root` — never silently root.
// Node's spawn({uid, gid}) would drop the supplementary groups (libuv calls
// setgroups(0)), so the switch is done by setpriv(1) --init-groups.
import { spawnSync } from 'node:child_process';

export interface TargetUser {
  uid: number;
  gid: number;
  name?: string;
  home?: string;
  shell?: string;
  /** How it was chosen, for messages. */
  source: 'sudo' | '--user' | 'self';
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string; shell: string }

/** getent passwd KEY (NSS-aware: LDAP/systemd users too); undefined when unknown. */
export function passwdEntry(key: string | number): PasswdEntry | undefined {
  const r = spawnSync('getent', ['passwd', String(key)], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const f = r.stdout.trim().split('\n')[0]!.split(':');
  if (f.length < 7) return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! };
}

/** Decide the user; throws with the reason when it cannot or must not. */
export function targetUser(opts: { user?: string }, env: NodeJS.ProcessEnv = process.env): TargetUser {
  if (opts.user !== undefined) {
    const e = passwdEntry(opts.user);
    if (!e) throw new Error(`--user ${opts.user}: no such user`);
    return { uid: e.uid, gid: e.gid, name: e.name, home: e.home, shell: e.shell, source: '--user' };
  }
  const sudoUid = env.SUDO_UID;
  if (sudoUid !== undefined && sudoUid !== '') {
    const uid = Number(sudoUid);
    const gid = Number(env.SUDO_GID ?? NaN);
    if (!Number.isInteger(uid) || uid < 0 || !Number.isInteger(gid) || gid < 0) {
      throw new Error(`SUDO_UID='${sudoUid}' SUDO_GID='${env.SUDO_GID ?? ''}': not numeric ids`);
    }
    const e = passwdEntry(uid);
    return { uid, gid, ...(e ? { name: e.name, home: e.home, shell: e.shell } : {}), source: 'sudo' };
  }
  const self = process.getuid?.() ?? 0;
  if (self === 0) {
    throw new Error('refusing to start the app as root: run lockne through sudo (the app runs as you), or pass --user NAME (--user root if you mean it)');
  }
  return { uid: self, gid: process.getgid?.() ?? self, source: 'self' };
}

/** argv prefix that runs the rest as `u` (setpriv with the user's groups), and the environment. */
export function dropPrivileges(u: TargetUser, env: NodeJS.ProcessEnv = process.env): { argv: string[]; env: NodeJS.ProcessEnv } {
  const outEnv: NodeJS.ProcessEnv = { ...env };
  delete outEnv.SUDO_UID; delete outEnv.SUDO_GID; delete outEnv.SUDO_USER; delete outEnv.SUDO_COMMAND;
  if (u.name) { outEnv.USER = u.name; outEnv.LOGNAME = u.name; }
  if (u.home) outEnv.HOME = u.home;
  if (u.shell) outEnv.SHELL = u.shell;
  // --init-groups needs a passwd entry (initgroups by name); without one there are no supplementary groups.
  const groups = u.name ? '--init-groups' : '--clear-groups';
  return { argv: ['setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, groups, '--'], env: outEnv };
}
