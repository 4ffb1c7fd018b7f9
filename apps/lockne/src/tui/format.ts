// Human-readable byte counts, rates and packet counts for the `lockne top` table.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/**
 * Bytes in binary units: "0 B", "1023 B", "1.5 KiB", "153 MiB", "16.0 EiB".
 * One decimal below 100, none above; a value that rounds up to 1024 moves to
 * the next unit ("1.0 MiB", never "1024 KiB"). Accepts bigint counters of any
 * size (u64 included) and fractional numbers (rounded to whole bytes below
 * 1 KiB). Non-finite numbers give "?".
 *
 * @example
 * formatBytes(1536n) // "1.5 KiB"
 * formatBytes(0)     // "0 B"
 */
export function formatBytes(value: bigint | number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '?';
    if (value < 0) return `-${formatBytes(-value)}`;
    // bigint keeps the unit choice exact; the fraction only matters below 1 KiB.
    return formatBig(BigInt(Math.round(value)), value);
  }
  if (value < 0n) return `-${formatBytes(-value)}`;
  return formatBig(value, Number(value));
}

function formatBig(whole: bigint, exact: number): string {
  if (whole < 1024n) return `${whole} B`;
  let unit = 0;
  while (unit < UNITS.length - 1 && whole >= 1024n ** BigInt(unit + 1)) unit++;
  // Number() loses integer precision above 2^53, far below one displayed decimal.
  let scaled = exact / 1024 ** unit;
  let text = withDecimals(scaled);
  if (Number(text) >= 1024 && unit < UNITS.length - 1) {
    unit++;
    scaled /= 1024;
    text = withDecimals(scaled);
  }
  return `${text} ${UNITS[unit]}`;
}

function withDecimals(scaled: number): string {
  const one = scaled.toFixed(1);
  // "99.96" rounds to "100.0": show it as "100" like every other value ≥ 100.
  return Number(one) >= 100 ? scaled.toFixed(0) : one;
}

/**
 * Bytes per second, or "–" when no rate is known yet (only one snapshot so far).
 *
 * @example
 * formatRate(2048)      // "2.0 KiB/s"
 * formatRate(undefined) // "–"
 */
export function formatRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined) return '–';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/**
 * A compact count for packets: "999", "12.3k", "4.5M", "7.0G".
 *
 * @example
 * formatCount(12345n) // "12.3k"
 */
export function formatCount(value: bigint | number): string {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isFinite(n)) return '?';
  if (n < 0) return `-${formatCount(-n)}`;
  if (n < 1000) return String(Math.round(n));
  const suffixes = ['k', 'M', 'G', 'T', 'P', 'E'];
  let scaled = n;
  let i = -1;
  while (i < suffixes.length - 1 && Number(scaled.toFixed(1)) >= 1000) {
    scaled /= 1000;
    i++;
  }
  return `${withDecimals(scaled)}${suffixes[i]}`;
}
