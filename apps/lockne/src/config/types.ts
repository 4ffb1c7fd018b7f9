// What a parsed config is: settings plus profiles with their derived mark, table and rule priority.

/** Where `loadConfig()` looks when no path is given. */
export const DEFAULT_CONFIG_PATH = '/etc/lockne/config.toml';

/** At most this many profiles: indexes 1..15 (0 means "no profile" in the kernel-side maps). */
export const MAX_PROFILES = 15;

/**
 * Each profile owns this many consecutive ip-rule priorities, starting at
 * `rule_priority + RULE_PRIORITY_STRIDE * index`; the first block (`rule_priority` ..
 * `rule_priority + 9`) is left for rules that must come before every profile.
 */
export const RULE_PRIORITY_STRIDE = 10;

/** Defaults of the `[lockne]` table. */
export const DEFAULT_SETTINGS = {
  pinDir: '/sys/fs/bpf/lockne',
  /** "LN" in the high 16 bits; the low 16 bits hold the profile index. */
  markBase: 0x4c4e0000,
  tableBase: 19700,
  ruleBase: 10600,
} as const;

/** The `[lockne]` table. */
export interface LockneSettings {
  /** cgroup v2 directory where the programs attach; undefined: the cgroup v2 root, found at runtime. */
  readonly cgroup?: string;
  /** bpffs directory for pinned maps and links. */
  readonly pinDir: string;
  /** u32 with the low 16 bits zero; profile i marks its sockets `markBase + i`. */
  readonly markBase: number;
  /** Profile i routes by table `tableBase + i`. */
  readonly tableBase: number;
  /** Base ip-rule priority; see `RULE_PRIORITY_STRIDE`. */
  readonly rulePriority: number;
}

/** How a profile picks the apps that use its tunnel. */
export type ProfileMode = 'include' | 'exclude';

/** One `[profile.NAME]` table, with the values Lockne derives for it. */
export interface ProfileConfig {
  /** 1-based position in the file (the first `[profile.*]` written is 1). */
  readonly index: number;
  readonly name: string;
  /** Tunnel interface. */
  readonly via: string;
  /** include: listed apps use the tunnel; exclude: everything but the listed apps does. */
  readonly mode: ProfileMode;
  readonly dns4?: string;
  readonly dns6?: string;
  /** Block the profile's traffic when the tunnel is down instead of falling through to the main table. */
  readonly killSwitch: boolean;
  /** Absolute executable paths matched at exec. */
  readonly apps: readonly string[];
  /** exclude mode: destinations (CIDR, normalized to `addr/len`) that stay direct. */
  readonly bypass: readonly string[];
  /** `settings.markBase + index`. */
  readonly mark: number;
  /** `settings.tableBase + index`. */
  readonly table: number;
  /** `settings.rulePriority + RULE_PRIORITY_STRIDE * index`: the first of this profile's 10 priorities. */
  readonly rulePriority: number;
}

/** A whole config: what `parseConfig`, `loadConfig` and `adHocConfig` return. */
export interface LockneConfig {
  readonly settings: LockneSettings;
  readonly profiles: readonly ProfileConfig[];
}
