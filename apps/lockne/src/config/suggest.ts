// "did you mean ...?" for misspelt keys and values.

/**
 * The closest of `known` to `word`, if it is close enough to be a likely typo: case, `-` for `_`,
 * and up to one edit per three characters (at least one) are forgiven.
 *
 * @example closest('kill-swich', ['kill_switch', 'killSwitch']) // 'kill_switch'
 * @example closest('foo', ['via', 'mode'])                       // undefined
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/-/g, '_');
  const w = norm(word);
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(w, norm(k));
    if (d < bestD) { best = k; bestD = d; }
  }
  const allowed = Math.max(1, Math.floor(Math.min(w.length, 64) / 3));
  return best !== undefined && bestD <= allowed ? best : undefined;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent swaps); long inputs are cut at 64. */
export function distance(a0: string, b0: string): number {
  const a = a0.slice(0, 64);
  const b = b0.slice(0, 64);
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) { row.push(j); continue; }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
