// Small statistics over repetitions: the median is what the tables report.

export function median(xs) {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** min / median / max of a list, rounded for JSON. */
export function summary(xs) {
  return { min: round(Math.min(...xs)), median: round(median(xs)), max: round(Math.max(...xs)) };
}

export function round(x, digits = 3) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Nanoseconds from process.hrtime.bigint() deltas. */
export function nsSince(t0) {
  return Number(process.hrtime.bigint() - t0);
}

/** Wall-clock and process CPU nanoseconds of one call of `fn`. */
export function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = fn();
  const ns = nsSince(t0);
  const c = process.cpuUsage(c0);
  return { ns, cpuNs: (c.user + c.system) * 1000, out };
}

/** The q-quantile (0..1) of a list, linear between neighbours. */
export function quantile(xs, q) {
  if (xs.length === 0) throw new Error('quantile of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}
