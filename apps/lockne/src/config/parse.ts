// parseConfig / loadConfig / adHocConfig: TOML text -> LockneConfig, or a ConfigError listing
// every problem at its file:line:col.
import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { ConfigError, formatKeyPath, type ConfigProblem, type KeyPath } from './error.js';
import { issueProblems, type PathProblem } from './issues.js';
import { KeyLocations, definitionAt, locateKeys } from './locate.js';
import { describeValue } from './describe.js';
import { profileRules, ruleProfile, tableRules, type RuleProfile } from './rules.js';
import { PROFILE_NAME, isTable, profileSchema, settingsSchema, topSchema, type ProfileInput, type SettingsInput } from './schema.js';
import { DEFAULT_CONFIG_PATH, RULE_PRIORITY_STRIDE, type LockneConfig, type LockneSettings, type ProfileConfig, type ProfileMode } from './types.js';

/** Config files larger than this are refused before parsing (a config is a few hundred bytes). */
export const MAX_CONFIG_BYTES = 1 << 20;

/**
 * Parse and validate config text. `fileName` only appears in messages.
 *
 * @example
 * const cfg = parseConfig('[profile.privacy]\nvia = "wg0"\napps = ["/usr/bin/firefox"]\n', 'inline.toml');
 * cfg.profiles[0] // { index: 1, name: 'privacy', via: 'wg0', mode: 'include', mark: 0x4c4e0001, table: 19701, ... }
 * @throws ConfigError listing every problem (`file:line:col: key: message`, one per line)
 */
export function parseConfig(text: string, fileName = DEFAULT_CONFIG_PATH): LockneConfig {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const root = parseTomlText(src, fileName);
  const loc = locateKeys(src);
  const problems: PathProblem[] = [];
  const collect = (r: { success: boolean; error?: z.ZodError }, prefix: KeyPath): void => {
    if (!r.success && r.error) problems.push(...issueProblems(r.error, prefix, root));
  };

  collect(topSchema.safeParse(root), []);
  const settingsResult = settingsSchema.safeParse(root['lockne']);
  collect(settingsResult, ['lockne']);

  const profiles: { name: string; index: number; data: ProfileInput }[] = [];
  const forRules: RuleProfile[] = [];
  const profileTable = root['profile'];
  let names: string[] = [];
  if (profileTable !== undefined && !isTable(profileTable)) {
    const hint = Array.isArray(profileTable) ? ' (write [profile.NAME] tables, not [[profile]] or profile = [...])' : '';
    problems.push({ path: ['profile'], at: 'value', message: `expected a table of profiles, got ${describeValue(profileTable)}${hint}` });
  } else if (profileTable !== undefined) {
    // File order, not object key order (which puts integer-like names such as "1" first).
    names = Object.keys(profileTable).sort((a, b) => loc.offsetOf(['profile', a]) - loc.offsetOf(['profile', b]));
    names.forEach((name, i) => {
      if (!PROFILE_NAME.test(name)) {
        problems.push({ path: ['profile', name], at: 'key', message: 'a profile name is 1-32 characters of a-z, 0-9, "_" and "-", starting with a letter or digit' });
      }
      const r = profileSchema.safeParse(profileTable[name]);
      collect(r, ['profile', name]);
      if (r.success) profiles.push({ name, index: i + 1, data: r.data });
      forRules.push(ruleProfile(name, i + 1, profileTable[name]));
    });
    const where = (path: KeyPath): string => `line ${loc.locate(path, 'value').line}`;
    problems.push(...profileRules(names, forRules, where));
  }
  if (settingsResult.success) problems.push(...tableRules(settingsResult.data.table_base, forRules));

  if (problems.length > 0 || !settingsResult.success) {
    throw new ConfigError(problems.map((p) => placed(p, fileName, loc)));
  }
  const settings = toSettings(settingsResult.data);
  return { settings, profiles: profiles.map((p) => toProfile(p.name, p.index, p.data, settings)) };
}

/**
 * Read and parse a config file (default /etc/lockne/config.toml).
 *
 * @example
 * const cfg = loadConfig(); // or loadConfig(opts.config)
 * @throws ConfigError: with `code` 'ENOENT' (etc.) when the file cannot be read, else for its contents
 */
export function loadConfig(path = DEFAULT_CONFIG_PATH): LockneConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const why = code === 'ENOENT' ? 'no such file (create it, pass another path, or run with --via IFACE and no config)'
      : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, not a config file' : (e as Error).message;
    throw new ConfigError([{ file: path, line: 0, column: 0, key: '', message: `${code}: ${why}` }], { code, cause: e });
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ConfigError([{ file: path, line: 0, column: 0, key: '', message: `${bytes.length} bytes: too large for a config file (at most ${MAX_CONFIG_BYTES})` }], { code: 'EFBIG' });
  }
  return parseConfig(decodeUtf8(bytes, path), path);
}

/** What `lockne run --via IFACE [--dns ADDR]... [--mode M]` gives instead of a config file. */
export interface AdHocOptions {
  via: string;
  dns?: string | readonly string[];
  mode?: ProfileMode;
  killSwitch?: boolean;
  apps?: readonly string[];
}

/** Name of the single profile `adHocConfig` makes. */
export const AD_HOC_PROFILE = 'cli';

/**
 * A one-profile config from command-line flags, checked like a file's profile; settings are the
 * defaults unless `settings` (e.g. from a config's [lockne] table) is given.
 *
 * @example
 * adHocConfig({ via: 'wg0', dns: '10.64.0.1' }).profiles[0] // { name: 'cli', via: 'wg0', dns4: '10.64.0.1', mark: 0x4c4e0001, ... }
 * @throws ConfigError naming the flag: `<command line>: --via: too long: ...`
 */
export function adHocConfig(opts: AdHocOptions, settings?: LockneSettings): LockneConfig {
  const dns = opts.dns === undefined ? undefined : typeof opts.dns === 'string' ? [opts.dns] : [...opts.dns];
  const body: Record<string, unknown> = { via: opts.via };
  if (dns !== undefined) body['dns'] = dns;
  if (opts.mode !== undefined) body['mode'] = opts.mode;
  if (opts.killSwitch !== undefined) body['kill_switch'] = opts.killSwitch;
  if (opts.apps !== undefined) body['apps'] = [...opts.apps];
  const r = profileSchema.safeParse(body);
  if (!r.success) {
    const flag: Record<string, string> = { via: '--via', dns: '--dns', mode: '--mode', kill_switch: '--kill-switch', apps: '--app' };
    throw new ConfigError(issueProblems(r.error, [], body).map((p) => ({
      file: '<command line>', line: 0, column: 0, message: p.message,
      key: `${flag[String(p.path[0])] ?? String(p.path[0])}${p.path.length > 1 ? ` ${JSON.stringify(valueOf(body, p.path))}` : ''}`,
    })));
  }
  const s = settings ?? toSettings(settingsSchema.parse({}));
  return { settings: s, profiles: [toProfile(AD_HOC_PROFILE, 1, r.data, s)] };
}

function valueOf(body: Record<string, unknown>, path: KeyPath): unknown {
  const list = body[String(path[0])];
  return Array.isArray(list) ? list[Number(path[1])] : list;
}

function parseTomlText(text: string, fileName: string): Record<string, unknown> {
  try {
    return parseToml(text, { integersAsBigInt: true }) as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    // smol-toml's message is "Invalid TOML document: <what>\n\n<code excerpt>": keep <what>.
    const what = e.message.replace(/^Invalid TOML document: /, '').split('\n')[0] ?? e.message;
    const problem = { file: fileName, line: e.line, column: e.column, key: '', message: `invalid TOML: ${what}` };
    if (/redefine/.test(what)) {
      // Name the key and where it was first defined: smol-toml says only "trying to redefine ...".
      const def = definitionAt(text, new KeyLocations(text).offset(e.line, e.column));
      if (def) {
        const first = def.first ? ` at line ${def.first.line}` : '';
        throw new ConfigError([{ ...problem, key: formatKeyPath(def.path), message: `invalid TOML: already defined${first}` }], { cause: e });
      }
    }
    throw new ConfigError([problem], { cause: e });
  }
}

/** Strict UTF-8 (TOML requires it), reporting where the first bad byte is. */
function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let good = 0;
    for (let end = bytes.length; good < end; ) {
      // Bisect the longest valid prefix.
      const mid = (good + end + 1) >> 1;
      try { new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid)); good = mid; } catch { end = mid - 1; }
    }
    const prefix = bytes.subarray(0, good).toString('utf8');
    const loc = new KeyLocations(prefix).pos(prefix.length);
    throw new ConfigError([{ file, line: loc.line, column: loc.column, key: '', message: `not valid UTF-8 (byte ${good})` }]);
  }
}

function placed(p: PathProblem, file: string, loc: KeyLocations): ConfigProblem {
  const { line, column } = loc.locate(p.path, p.at);
  return { file, line, column, key: formatKeyPath(p.path), message: p.message };
}

function toSettings(s: SettingsInput): LockneSettings {
  return {
    ...(s.cgroup !== undefined ? { cgroup: s.cgroup } : {}),
    pinDir: s.pin_dir,
    markBase: s.mark_base,
    tableBase: s.table_base,
    rulePriority: s.rule_priority,
  };
}

function toProfile(name: string, index: number, p: ProfileInput, s: LockneSettings): ProfileConfig {
  const dns4 = p.dns?.find((a) => !a.includes(':'));
  const dns6 = p.dns?.find((a) => a.includes(':'));
  return {
    index,
    name,
    via: p.via,
    mode: p.mode,
    ...(dns4 !== undefined ? { dns4 } : {}),
    ...(dns6 !== undefined ? { dns6 } : {}),
    killSwitch: p.kill_switch,
    apps: [...p.apps],
    bypass: [...(p.bypass ?? [])],
    mark: s.markBase + index,
    table: s.tableBase + index,
    rulePriority: s.rulePriority + RULE_PRIORITY_STRIDE * index,
  };
}
