// ConfigError: every problem found in a config file, each as `file:line:col: key.path: message`.

/** A key path as zod and the locator see it: table keys and array indexes. */
export type KeyPath = readonly (string | number)[];

/** One thing wrong with a config, with where it is. */
export interface ConfigProblem {
  /** The config file (or `<command line>` for `adHocConfig`). */
  readonly file: string;
  /** 1-based; 0 when the problem has no place in a file (unreadable file, command-line flag). */
  readonly line: number;
  /** 1-based, in UTF-16 code units like smol-toml; 0 with `line` 0. */
  readonly column: number;
  /** Dotted key path (`profile.privacy.apps[2]`), or '' for a TOML syntax error or a file-level problem. */
  readonly key: string;
  /** What is wrong, without the location prefix. */
  readonly message: string;
}

/**
 * A config that cannot be used. `message` lists every problem, one per line, sorted by position:
 *
 * ```text
 * /etc/lockne/config.toml:7:7: profile.privacy.via: expected a string, got integer 5
 * /etc/lockne/config.toml:9:1: profile.privacy.kill_swich: unknown key; did you mean "kill_switch"?
 * ```
 *
 * `file`, `line`, `column` and `key` are those of the first problem; `problems` has them all (the
 * message stops after 50).
 * `code` is the errno name when the file could not be read (`ENOENT`, `EACCES`, ...).
 *
 * @example
 * try { loadConfig('/etc/lockne/config.toml'); }
 * catch (e) { if (e instanceof ConfigError && e.code === 'ENOENT') useDefaults(); else throw e; }
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly key: string;
  readonly problems: readonly ConfigProblem[];
  readonly code: string | undefined;

  constructor(problems: readonly ConfigProblem[], options: { code?: string; cause?: unknown } = {}) {
    if (problems.length === 0) throw new TypeError('ConfigError needs at least one problem');
    const sorted = [...problems].sort(byPosition);
    super(formatProblems(sorted), options.cause === undefined ? undefined : { cause: options.cause });
    const first = sorted[0]!;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.key = first.key;
    this.problems = sorted;
    this.code = options.code;
  }
}

/** A message lists at most this many problems; `problems` keeps them all. */
export const MAX_LISTED_PROBLEMS = 50;

/** One problem per line, then "(N more problems)" past `MAX_LISTED_PROBLEMS`. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map(formatProblem);
  const more = problems.length - MAX_LISTED_PROBLEMS;
  if (more > 0) lines.push(`${problems[0]!.file}: (${more} more problem${more === 1 ? '' : 's'})`);
  return lines.join('\n');
}

/** `file:line:col: key: message`, leaving out the parts a problem does not have. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return p.key ? `${where}: ${p.key}: ${p.message}` : `${where}: ${p.message}`;
}

function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return a.line - b.line || a.column - b.column || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * A key path as a user would write it in TOML: `profile.privacy.apps[2]`, quoting keys that are not bare.
 *
 * @example formatKeyPath(['profile', 'my vpn', 'dns', 1]) // 'profile."my vpn".dns[1]'
 */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += (out ? '.' : '') + (BARE_KEY.test(seg) ? seg : JSON.stringify(seg));
  }
  return out;
}
