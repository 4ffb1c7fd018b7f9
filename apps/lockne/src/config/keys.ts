// A description of every config key, for `lockne config --help` (and docs). The test checks it
// lists exactly the keys the schema accepts.
import { DEFAULT_CONFIG_PATH, DEFAULT_SETTINGS, MAX_PROFILES, RULE_PRIORITY_STRIDE } from './types.js';

/** One key of the config file, JSON-schema-ish. */
export interface ConfigKeyDoc {
  /** `lockne.pin_dir`, `profile.NAME.via`. */
  readonly key: string;
  readonly type: 'string' | 'integer' | 'boolean' | 'string[]' | 'table';
  readonly required: boolean;
  /** The default as TOML text, when there is one. */
  readonly default?: string;
  /** Allowed values (enums). */
  readonly enum?: readonly string[];
  readonly description: string;
}

/** Every key, in the order a config would be written. */
export const CONFIG_KEYS: readonly ConfigKeyDoc[] = [
  { key: 'lockne', type: 'table', required: false, description: 'Settings shared by all profiles.' },
  { key: 'lockne.cgroup', type: 'string', required: false, description: 'cgroup v2 directory where the programs attach. Default: the cgroup v2 root, found from /proc/self/mountinfo.' },
  { key: 'lockne.pin_dir', type: 'string', required: false, default: JSON.stringify(DEFAULT_SETTINGS.pinDir), description: 'Absolute bpffs directory for pinned maps and links.' },
  { key: 'lockne.mark_base', type: 'integer', required: false, default: `0x${DEFAULT_SETTINGS.markBase.toString(16)}`, description: 'u32 socket mark base with the low 16 bits zero; profile i marks its sockets mark_base + i.' },
  { key: 'lockne.table_base', type: 'integer', required: false, default: String(DEFAULT_SETTINGS.tableBase), description: 'Routing table base (1..2^31-1, not 253..255); profile i routes by table table_base + i.' },
  { key: 'lockne.rule_priority', type: 'integer', required: false, default: String(DEFAULT_SETTINGS.ruleBase), description: `ip rule priority base (1..32000); profile i uses the ${RULE_PRIORITY_STRIDE} priorities from rule_priority + ${RULE_PRIORITY_STRIDE}*i.` },
  { key: 'profile.NAME', type: 'table', required: false, description: `A profile; NAME is 1-32 of a-z 0-9 _ - (starting with a letter or digit). At most ${MAX_PROFILES}, numbered 1.. in file order.` },
  { key: 'profile.NAME.via', type: 'string', required: true, description: 'Tunnel interface (1..15 bytes, no "/", ":" or whitespace). Two profiles cannot share one.' },
  { key: 'profile.NAME.mode', type: 'string', required: false, default: '"include"', enum: ['include', 'exclude'], description: 'include: the listed apps use the tunnel. exclude: every app but the listed ones does (at most one exclude profile).' },
  { key: 'profile.NAME.dns', type: 'string[]', required: false, description: 'DNS servers for the profile: at most one IPv4 and one IPv6 address.' },
  { key: 'profile.NAME.kill_switch', type: 'boolean', required: false, default: 'true', description: 'Block the profile\'s traffic while the tunnel is down instead of leaking it to the main table.' },
  { key: 'profile.NAME.apps', type: 'string[]', required: false, default: '[]', description: 'Absolute executable paths (at most 255 bytes), matched in the kernel at exec. An app belongs to one profile.' },
  { key: 'profile.NAME.bypass', type: 'string[]', required: false, description: 'Exclude profiles only: destination prefixes (CIDR, IPv4 or IPv6) that stay direct.' },
];

/**
 * The keys as help text.
 *
 * @example console.log(formatConfigKeys())
 */
export function formatConfigKeys(): string {
  const width = Math.max(...CONFIG_KEYS.map((k) => k.key.length));
  const lines = [`Config file (default ${DEFAULT_CONFIG_PATH}), TOML:`, ''];
  for (const k of CONFIG_KEYS) {
    const facts = [k.type, k.required ? 'required' : undefined, k.default !== undefined ? `default ${k.default}` : undefined].filter(Boolean).join(', ');
    lines.push(`  ${k.key.padEnd(width)}  ${facts}`, `  ${' '.repeat(width)}  ${k.description}`);
  }
  return lines.join('\n');
}
