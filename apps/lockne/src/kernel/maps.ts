// Lockne's pinned maps, opened with codecs built from the same declarations
// the kernel program is compiled from (lockne.bpf.ts), so a field added there
// is read here without a second layout to keep in sync.
import { BpfMap, openPinnedMap, type Codec } from '@lockne/bpf';
import { codecOfLayout, type Plain } from '@lockne/compiler/userspace';
import { u32, u64 } from '@lockne/kernel';
import * as k from '../bpf/lockne.bpf.js';
import { mapPin } from './layout.js';

export type ProfileValue = Plain<k.Profile>;
export type SettingsValue = Plain<import('@lockne/kernel').Infer<typeof k.Settings>>;
export type SockInfoValue = Plain<k.SockInfo>;
export type AppStatsValue = Plain<k.AppStats>;
export type ConnEventValue = Plain<k.ConnEvent>;

const codec = <T>(d: unknown): Codec<T> => codecOfLayout(d as never) as Codec<T>;

export const codecs = {
  u32: codec<number>(u32),
  u64: codec<bigint>(u64),
  profile: codec<ProfileValue>(k.Profile),
  settings: codec<SettingsValue>(k.Settings),
  sockInfo: codec<SockInfoValue>(k.SockInfo),
  appStats: codec<AppStatsValue>(k.AppStats),
  connEvent: codec<ConnEventValue>(k.ConnEvent),
};

/** Handles on the pinned maps; close() closes them (the pins stay). */
export interface LockneMaps {
  profiles: BpfMap<number, ProfileValue>;
  settings: BpfMap<number, SettingsValue>;
  cgroupProfiles: BpfMap<bigint, number>;
  exeRules: BpfMap<bigint, number>;
  taskProfiles: BpfMap<number, number>;
  /** Socket-local storage: a value per routed socket, keyed by a socket fd (list them with liveSockets). */
  sockets: BpfMap<number, SockInfoValue>;
  apps: BpfMap<number, AppStatsValue>;
  close(): void;
}

/** Open the maps pinned under `pinDir` (SyscallError ENOENT naming the pin when Lockne is not up). */
export function openMaps(pinDir: string): LockneMaps {
  const opened: BpfMap<unknown, unknown>[] = [];
  const open = <K, V>(name: Parameters<typeof mapPin>[1], key: Codec<K>, value: Codec<V>): BpfMap<K, V> => {
    const m = openPinnedMap(mapPin(pinDir, name), { key, value });
    opened.push(m as BpfMap<unknown, unknown>);
    return m;
  };
  try {
    return {
      profiles: open('profiles', codecs.u32, codecs.profile),
      settings: open('settings', codecs.u32, codecs.settings),
      cgroupProfiles: open('cgroupProfiles', codecs.u64, codecs.u32),
      exeRules: open('exeRules', codecs.u64, codecs.u32),
      taskProfiles: open('taskProfiles', codecs.u32, codecs.u32),
      sockets: open('sockets', codecs.u32, codecs.sockInfo),
      apps: open('apps', codecs.u32, codecs.appStats),
      close() { for (const m of opened) m.close(); },
    };
  } catch (e) {
    for (const m of opened) m.close();
    throw e;
  }
}
