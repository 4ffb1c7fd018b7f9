// The zod schemas of the config's tables, in TOML's snake_case. Integers arrive as bigint
// (smol-toml with integersAsBigInt) so that 1.0 is a float, not an integer, and 2^64 is not
// rounded; each integer field checks its range and becomes a number.
import { z } from 'zod';
import { absPathProblem, appPathProblem, dnsProblem, ifnameProblem, ipVersion, parseCidr } from './checks.js';
import { describeValue } from './describe.js';
import { DEFAULT_SETTINGS } from './types.js';

/** Profile names: the key in `[profile.NAME]`. */
export const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** A TOML table (not an array, not a date: smol-toml's dates are objects too). */
export function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** A string passed through one of the checks in checks.ts. */
function checkedString(check: (s: string) => string | undefined) {
  return z.string().superRefine((s, ctx) => {
    const why = check(s);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });
}

/** An integer in min..max (plus an optional further check), as a number. */
function integer(min: bigint, max: bigint, extra?: (v: bigint) => string | undefined) {
  return z.bigint().superRefine((v, ctx) => {
    const why = v < min || v > max ? `must be in ${min}..${max}, got ${v}` : extra?.(v);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  }).transform(Number);
}

/** A table with exactly these keys (unknown keys are reported by name). */
function table<S extends z.ZodRawShape>(shape: S) {
  return z.custom<Record<string, unknown>>(isTable, { error: (iss) => `expected a table, got ${describeValue(iss.input)}` })
    .pipe(z.strictObject(shape));
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** `[lockne]`. */
export const SETTINGS_SHAPE = {
  cgroup: checkedString((p) => absPathProblem(p, 'cgroup directory')).optional(),
  pin_dir: checkedString((p) => absPathProblem(p, 'directory under a bpffs mount')).default(DEFAULT_SETTINGS.pinDir),
  mark_base: integer(0n, 0xffffffffn, (v) =>
    (v & 0xffffn) !== 0n ? `the low 16 bits must be zero (they carry the profile index), got ${hex(v)}: try ${hex(v & ~0xffffn)}` : undefined,
  ).default(DEFAULT_SETTINGS.markBase),
  table_base: integer(1n, 0x7fffffffn, (v) =>
    v >= 253n && v <= 255n ? `tables 253..255 are the kernel's default, main and local tables` : undefined,
  ).default(DEFAULT_SETTINGS.tableBase),
  rule_priority: integer(1n, 32000n).default(DEFAULT_SETTINGS.ruleBase),
};

export const settingsSchema = table(SETTINGS_SHAPE).prefault({});

/** `dns`: addresses, at most one per family. */
const dnsList = z.array(z.unknown()).superRefine((xs, ctx) => {
  const first: Record<4 | 6, number | undefined> = { 4: undefined, 6: undefined };
  xs.forEach((x, i) => {
    if (typeof x !== 'string') return ctx.addIssue({ code: 'custom', path: [i], message: `expected a string, got ${describeValue(x)}` });
    const why = dnsProblem(x);
    if (why) return ctx.addIssue({ code: 'custom', path: [i], message: why });
    const v = ipVersion(x) as 4 | 6;
    const prev = first[v];
    if (prev === undefined) first[v] = i;
    else ctx.addIssue({ code: 'custom', path: [i], message: `a second IPv${v} server (dns[${prev}] is the first): at most one IPv4 and one IPv6` });
  });
}).transform((xs) => xs as string[]);

/** `apps`: executable paths, each once. */
const appList = z.array(checkedString(appPathProblem)).superRefine((xs, ctx) => {
  const seen = new Map<string, number>();
  xs.forEach((x, i) => {
    const prev = seen.get(x);
    if (prev === undefined) seen.set(x, i);
    else ctx.addIssue({ code: 'custom', path: [i], message: `${JSON.stringify(x)} is listed twice (apps[${prev}])` });
  });
});

/** A CIDR prefix, normalized to `addr/len`. */
const cidr = z.string().transform((s, ctx) => {
  const c = parseCidr(s);
  if (c.ok) return c.text;
  ctx.addIssue({ code: 'custom', message: c.why });
  return z.NEVER;
});

/** `[profile.NAME]`. */
export const PROFILE_SHAPE = {
  via: checkedString(ifnameProblem),
  mode: z.enum(['include', 'exclude']).default('include'),
  dns: dnsList.optional(),
  kill_switch: z.boolean().default(true),
  apps: appList.default([]),
  bypass: z.array(cidr).optional(),
};

export const profileSchema = table(PROFILE_SHAPE);

export type ProfileInput = z.output<typeof profileSchema>;
export type SettingsInput = z.output<typeof settingsSchema>;

/** Keys allowed at the top level. */
export const TOP_KEYS = ['lockne', 'profile'] as const;
export const SETTINGS_KEYS = Object.keys(SETTINGS_SHAPE);
export const PROFILE_KEYS = Object.keys(PROFILE_SHAPE);

/** Only reports unknown top-level keys; the two tables are checked on their own. */
export const topSchema = z.strictObject({ lockne: z.unknown().optional(), profile: z.unknown().optional() });
