// A one-line chart of recent values, e.g. a profile's rate over the last minute.

/** The eight bar heights, lowest first. */
export const SPARK_BARS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` values as bars scaled to the largest of them: the maximum
 * is "█", zero (and negatives, NaN) "▁", and any positive value at least "▂" so
 * a trickle stays visible next to a burst. All zeros give a flat "▁" line;
 * no values give "".
 *
 * @example
 * sparkline([0, 1, 2, 4])  // "▁▃▅█"
 * sparkline([0, 0, 0])     // "▁▁▁"
 */
export function sparkline(values: readonly number[], width: number = values.length): string {
  const shown = width <= 0 ? [] : values.slice(-width);
  let max = 0;
  for (const v of shown) if (Number.isFinite(v) && v > max) max = v;
  let out = '';
  for (const v of shown) out += SPARK_BARS[level(v, max)];
  return out;
}

function level(v: number, max: number): number {
  if (!(v > 0) || max === 0) return 0;
  if (!Number.isFinite(v)) return SPARK_BARS.length - 1;
  const top = SPARK_BARS.length - 1;
  return Math.min(top, Math.max(1, Math.round((v / max) * top)));
}
