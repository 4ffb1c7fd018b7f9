// zod issues -> problems with a key path and a sentence a user can act on.
import type { z } from 'zod';
import type { KeyPath } from './error.js';
import { describeValue } from './describe.js';
import { PROFILE_KEYS, SETTINGS_KEYS, TOP_KEYS } from './schema.js';
import { closest } from './suggest.js';

/** A problem before it has a file position: `at` says whether to point at the key or its value. */
export interface PathProblem {
  readonly path: KeyPath;
  readonly at: 'key' | 'value';
  readonly message: string;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  bigint: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  array: 'an array',
  object: 'a table',
};

/**
 * Turn a zod error for the value at `prefix` into problems. `root` is the whole parsed document,
 * to name what was found where something else was expected.
 */
export function issueProblems(error: z.ZodError, prefix: KeyPath, root: unknown): PathProblem[] {
  const out: PathProblem[] = [];
  for (const iss of error.issues) {
    const path = [...prefix, ...iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    const input = valueAt(root, path);
    switch (iss.code) {
      case 'unrecognized_keys':
        for (const k of iss.keys) out.push({ path: [...path, k], at: 'key', message: unknownKey(path, k) });
        break;
      case 'invalid_type':
        out.push(input === undefined
          ? { path, at: 'key', message: path[path.length - 1] === 'via' ? 'missing: every profile needs its tunnel interface (via = "wg0")' : 'missing: this key is required' }
          : { path, at: 'value', message: `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeValue(input)}` });
        break;
      case 'invalid_value': {
        const options = iss.values.map((v) => JSON.stringify(v));
        const near = typeof input === 'string' ? closest(input, iss.values.filter((v): v is string => typeof v === 'string')) : undefined;
        out.push({ path, at: 'value', message: `expected ${options.join(' or ')}, got ${describeValue(input)}${near ? `; did you mean ${JSON.stringify(near)}?` : ''}` });
        break;
      }
      default:
        out.push({ path, at: 'value', message: iss.message });
    }
  }
  return out;
}

/** The keys a table at `path` may have, or undefined when it is not one of ours. */
export function knownKeys(path: KeyPath): readonly string[] | undefined {
  if (path.length === 0) return TOP_KEYS;
  if (path.length === 1 && path[0] === 'lockne') return SETTINGS_KEYS;
  if (path.length === 2 && path[0] === 'profile') return PROFILE_KEYS;
  return undefined;
}

/** "unknown key", with the likely intended key, or where the key belongs, or the allowed keys. */
export function unknownKey(table: KeyPath, key: string): string {
  const known = knownKeys(table) ?? [];
  const near = closest(key, known);
  if (near) return `unknown key; did you mean ${JSON.stringify(near)}?`;
  const inProfile = table.length === 2;
  if (!inProfile && PROFILE_KEYS.includes(key)) return 'unknown key here: it belongs in a [profile.NAME] table';
  if (table[0] !== 'lockne' && SETTINGS_KEYS.includes(key)) return 'unknown key here: it belongs in the [lockne] table';
  if (table.length === 0 && ['settings', 'global', 'general', 'options'].includes(key.toLowerCase())) return 'unknown table; the settings go in [lockne]';
  return `unknown key (expected ${known.map((k) => JSON.stringify(k)).join(', ')})`;
}

/** The value at `path` in a parsed document, or undefined (own properties only). */
export function valueAt(root: unknown, path: KeyPath): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}
