// What Lockne loads, where it attaches it and under which names it pins it.
// One table, so `up`, `down`, `status` and the tests agree.
import type { CgroupHook } from '@lockne/bpf';

/** cgroup programs (function name in lockne.bpf.ts → hook), attached at the scope cgroup. */
export const CGROUP_PROGRAMS: ReadonlyArray<readonly [string, CgroupHook]> = [
  ['sockCreate', 'sock_create'],
  ['sockRelease', 'sock_release'],
  ['guardMark', 'setsockopt'],
  ['connect4', 'connect4'],
  ['connect6', 'connect6'],
  ['sendmsg4', 'sendmsg4'],
  ['sendmsg6', 'sendmsg6'],
  ['recvmsg4', 'recvmsg4'],
  ['recvmsg6', 'recvmsg6'],
  ['countEgress', 'egress'],
  ['countIngress', 'ingress'],
];

/** Tracepoint programs (exe rules: exec, fork, exit); they attach where their section says. */
export const TRACEPOINT_PROGRAMS: readonly string[] = ['onExec', 'onFork', 'onExit'];

/** Iterator programs (program → the map it is attached with); reading the pinned link runs it. */
export const ITER_PROGRAMS: ReadonlyArray<readonly [string, LockneMapName]> = [['listSockets', 'sockets']];

/** Every program, by the name its link is pinned under. */
export const PROGRAMS_WITH_LINKS: readonly string[] = [...CGROUP_PROGRAMS.map(([p]) => p), ...TRACEPOINT_PROGRAMS, ...ITER_PROGRAMS.map(([p]) => p)];

/** Every map, pinned as `<pinDir>/map_<name>`. */
export const MAP_NAMES = ['profiles', 'settings', 'cgroupProfiles', 'exeRules', 'taskProfiles', 'sockets', 'apps', 'events', 'scratch'] as const;
export type LockneMapName = (typeof MAP_NAMES)[number];

/** Profile value meaning "listed as excluded: leave the socket unmarked" (DIRECT in lockne.bpf.ts). */
export const DIRECT_PROFILE = 0xffff;
/** Highest profile index (the profiles array has 16 slots; 0 means none). */
export const MAX_PROFILES = 15;

/** Profile flags (Profile.flags in lockne.bpf.ts). */
export const ProfileFlag = { DNS4: 1, DNS6: 2, REFUSE_DNS6: 4 } as const;

/** Connection event kinds (ConnEvent.kind). */
export const EventKind = { CONNECT: 1, CLOSE: 2 } as const;

export const mapPin = (pinDir: string, name: LockneMapName): string => `${pinDir}/map_${name}`;
export const linkPin = (pinDir: string, program: string): string => `${pinDir}/link_${program}`;
