// How a TOML value is named in messages: its TOML type and, for scalars, the value.

/**
 * `integer 5`, `float 1.5`, `string "wg0"`, `boolean true`, `an array`, `a table`, `date-time 1979-05-27`.
 *
 * @example describeValue(5n) // 'integer 5'
 */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'bigint') return `integer ${v}`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'float nan' : !Number.isFinite(v) ? `float ${v > 0 ? '' : '-'}inf` : Number.isInteger(v) ? `float ${v}.0` : `float ${v}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : 'an array';
  if (v instanceof Date) return `date-time ${dateText(v)}`;
  if (typeof v === 'object' && v !== null) return 'a table';
  return typeof v;
}

function dateText(d: Date): string {
  try {
    return d.toISOString();
  } catch {
    return String(d);
  }
}
