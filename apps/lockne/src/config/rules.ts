// Rules across profiles (and between profiles and [lockne]) that no single table's schema can see.
import type { KeyPath } from './error.js';
import type { PathProblem } from './issues.js';
import { isTable } from './schema.js';
import { MAX_PROFILES } from './types.js';

/**
 * What the rules need of a profile, read from the raw table so that they apply even when the
 * profile has problems of its own (all problems are reported at once): fields of the wrong type
 * are left out.
 */
export interface RuleProfile {
  readonly name: string;
  /** 1-based position in the file among all profiles. */
  readonly index: number;
  readonly via: string | undefined;
  /** As written; undefined when absent (include). */
  readonly mode: unknown;
  /** Each entry, or undefined where it is not a string. */
  readonly apps: readonly (string | undefined)[];
  readonly hasBypass: boolean;
}

/** The rule-relevant parts of a raw `[profile.NAME]` value. */
export function ruleProfile(name: string, index: number, raw: unknown): RuleProfile {
  const t = isTable(raw) ? raw : {};
  const own = (k: string): unknown => (Object.prototype.hasOwnProperty.call(t, k) ? t[k] : undefined);
  const via = own('via');
  const apps = own('apps');
  return {
    name, index,
    via: typeof via === 'string' ? via : undefined,
    mode: own('mode'),
    apps: Array.isArray(apps) ? apps.map((a) => (typeof a === 'string' ? a : undefined)) : [],
    hasBypass: own('bypass') !== undefined,
  };
}

/**
 * At most 15 profiles and one exclude profile; no two profiles share a `via` or an app; `bypass` only
 * in exclude mode. `where(path)` gives "line N" for back references.
 */
export function profileRules(names: readonly string[], profiles: readonly RuleProfile[], where: (path: KeyPath) => string): PathProblem[] {
  const out: PathProblem[] = [];
  if (names.length > MAX_PROFILES) {
    out.push({ path: ['profile', names[MAX_PROFILES]!], at: 'key', message: `profile ${names.length} of at most ${MAX_PROFILES} (each profile has its own mark and routing table)` });
  }
  let exclude: RuleProfile | undefined;
  const vias = new Map<string, RuleProfile>();
  const apps = new Map<string, { p: RuleProfile; i: number }>();
  for (const p of profiles) {
    const base = ['profile', p.name];
    if (p.mode === 'exclude') {
      if (exclude) out.push({ path: [...base, 'mode'], at: 'value', message: `a second exclude profile: ${JSON.stringify(exclude.name)} (${where(['profile', exclude.name, 'mode'])}) is one already, and only one can take every app not listed` });
      else exclude = p;
    } else if (p.hasBypass && (p.mode === undefined || p.mode === 'include')) {
      out.push({ path: [...base, 'bypass'], at: 'key', message: 'only an exclude profile (mode = "exclude") has bypass destinations' });
    }
    const other = p.via === undefined ? undefined : vias.get(p.via);
    if (other) out.push({ path: [...base, 'via'], at: 'value', message: `${JSON.stringify(p.via)} is already the via of profile ${JSON.stringify(other.name)} (${where(['profile', other.name, 'via'])}): one profile per tunnel` });
    else if (p.via !== undefined) vias.set(p.via, p);
    p.apps.forEach((app, i) => {
      if (app === undefined) return;
      const first = apps.get(app);
      if (!first) apps.set(app, { p, i });
      else if (first.p !== p) out.push({ path: [...base, 'apps', i], at: 'value', message: `${JSON.stringify(app)} is already in profile ${JSON.stringify(first.p.name)} (${where(['profile', first.p.name, 'apps', first.i])}): an app belongs to one profile` });
    });
  }
  return out;
}

/** Routing tables derived from table_base must avoid 253..255 and stay below 2^31. */
export function tableRules(tableBase: number, profiles: readonly RuleProfile[]): PathProblem[] {
  const out: PathProblem[] = [];
  for (const p of profiles) {
    const t = tableBase + p.index;
    const why = t >= 253 && t <= 255 ? `${t} is reserved (253 default, 254 main, 255 local)` : t > 0x7fffffff ? `${t} is above 2^31-1` : undefined;
    if (why) out.push({ path: ['lockne', 'table_base'], at: 'value', message: `profile ${JSON.stringify(p.name)} (index ${p.index}) would get routing table ${why}: move table_base` });
  }
  return out;
}
