// Where each key and value of a TOML document is: a small scanner over the source text.
//
// smol-toml gives values but no positions, so errors from validation would have no line. This
// scanner walks the same text (already accepted by smol-toml, so it can be simple) tracking table
// headers (`[a.b]`, `[[a]]`), dotted and quoted keys, arrays and inline tables, and records the
// offset of every key and value by its full path. Anything it does not understand ends the scan
// quietly: later keys then fall back to the position of their nearest located parent.
import type { KeyPath } from './error.js';

/** A 1-based line and column (UTF-16 code units, as smol-toml counts them). */
export interface SourcePos {
  readonly line: number;
  readonly column: number;
}

/**
 * Positions of the keys and values of one TOML text.
 *
 * @example
 * const loc = locateKeys('[profile.privacy]\nvia = "wg0"\n');
 * loc.keyAt(['profile', 'privacy', 'via'])   // { line: 2, column: 1 }
 * loc.valueAt(['profile', 'privacy', 'via']) // { line: 2, column: 7 }
 */
export class KeyLocations {
  /** @internal */ readonly keys = new Map<string, number>();
  /** @internal */ readonly values = new Map<string, number>();
  private readonly lineStarts: number[];

  constructor(readonly text: string) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** Where the key at `path` is written (a table's header for a table), if the scanner saw it. */
  keyAt(path: KeyPath): SourcePos | undefined {
    const off = this.keys.get(pathKey(path));
    return off === undefined ? undefined : this.pos(off);
  }

  /** Where the value at `path` starts, if the scanner saw it. */
  valueAt(path: KeyPath): SourcePos | undefined {
    const off = this.values.get(pathKey(path));
    return off === undefined ? undefined : this.pos(off);
  }

  /**
   * The best place to report a problem with `path`: its value (or key), else the nearest parent
   * that was located, else 1:1.
   */
  locate(path: KeyPath, prefer: 'key' | 'value'): SourcePos {
    const exact = prefer === 'value' ? this.valueAt(path) ?? this.keyAt(path) : this.keyAt(path) ?? this.valueAt(path);
    if (exact) return exact;
    for (let n = path.length - 1; n > 0; n--) {
      const p = this.keyAt(path.slice(0, n));
      if (p) return p;
    }
    return { line: 1, column: 1 };
  }

  /** Offset of the first appearance of `path` (for ordering keys as written), or Infinity. */
  offsetOf(path: KeyPath): number {
    return this.keys.get(pathKey(path)) ?? Infinity;
  }

  /** Character offset of a 1-based line and column (clamped to the text). */
  offset(line: number, column: number): number {
    const start = this.lineStarts[Math.min(Math.max(line, 1), this.lineStarts.length) - 1]!;
    return Math.min(start + Math.max(column, 1) - 1, this.text.length);
  }

  /** Line and column of a character offset. */
  pos(offset: number): SourcePos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }
}

/** Scan `text` (which should be valid TOML) and record where its keys and values are. */
export function locateKeys(text: string): KeyLocations {
  const loc = new KeyLocations(text);
  try {
    new Scanner(text, loc).document();
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  return loc;
}

/**
 * The key defined by the header or key/value that starts at `offset` (where smol-toml reports a
 * redefinition), resolved against the tables before it, and where that key (or its nearest parent)
 * was first written.
 *
 * @example definitionAt('[a]\nx = 1\nx = 2\n', 12) // { path: ['a', 'x'], first: { line: 2, column: 1 } }
 */
export function definitionAt(text: string, offset: number): { path: KeyPath; first: SourcePos | undefined } | undefined {
  const loc = new KeyLocations(text);
  const scanner = new Scanner(text, loc, offset);
  try {
    scanner.document();
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  const path = scanner.found;
  if (!path) return undefined;
  let first: SourcePos | undefined;
  for (let n = path.length; n > 0 && !first; n--) first = loc.keyAt(path.slice(0, n));
  return { path, first };
}

function pathKey(path: KeyPath): string {
  return path.join('\u0000');
}

/** Thrown to end the scan at something it does not understand. */
class Stop {}

const MAX_DEPTH = 2000;

class Scanner {
  private p = 0;
  /** Arrays of tables seen so far, by path: how many elements each has. */
  private readonly aot = new Map<string, number>();
  /** With `stopAt`: the path defined by the item starting there. */
  found: (string | number)[] | undefined;

  /** `stopAt`: resolve the item (header or key/value) whose line holds this offset, then stop. */
  constructor(private readonly s: string, private readonly loc: KeyLocations, private readonly stopAt = Infinity) {}

  document(): void {
    let table: (string | number)[] = [];
    const s = this.s;
    while (this.p < s.length) {
      this.ws();
      const c = s[this.p];
      if (c === undefined) break;
      if (c === '\n' || c === '\r') { this.p++; continue; }
      if (c === '#') { this.comment(); continue; }
      const start = this.p;
      const stop = this.lineEnd(start) >= this.stopAt;
      if (c === '[') {
        const aot = s[this.p + 1] === '[';
        this.p += aot ? 2 : 1;
        const segs = this.key();
        if (stop) { this.found = [...segs]; throw new Stop(); }
        this.expect(']');
        if (aot) this.expect(']');
        table = this.header(segs, aot, start);
      } else {
        const segs = this.key();
        if (stop) { this.found = [...table, ...segs]; throw new Stop(); }
        this.expect('=');
        this.ws();
        const full = [...table, ...segs];
        this.keyed(full, table.length, start);
        this.value(full, 0);
      }
      this.restOfLine();
    }
  }

  /** Resolve a header's key to a full path (array-of-tables segments get their current index). */
  private header(segs: string[], aot: boolean, start: number): (string | number)[] {
    const resolved: (string | number)[] = [];
    segs.forEach((seg, i) => {
      resolved.push(seg);
      const k = pathKey(resolved);
      const last = i === segs.length - 1;
      if (last && aot) {
        const n = this.aot.get(k) ?? 0;
        this.aot.set(k, n + 1);
        this.mark(this.loc.keys, resolved, start);
        resolved.push(n);
      } else {
        const n = this.aot.get(k);
        if (n !== undefined) resolved.push(n - 1);
      }
      this.mark(this.loc.keys, resolved, start);
      this.mark(this.loc.values, resolved, start);
    });
    return resolved;
  }

  /** Record a key path written at `start`, and the implicit tables its dotted prefixes create. */
  private keyed(full: (string | number)[], base: number, start: number): void {
    for (let n = base + 1; n <= full.length; n++) this.mark(this.loc.keys, full.slice(0, n), start);
  }

  private mark(map: Map<string, number>, path: KeyPath, offset: number): void {
    const k = pathKey(path);
    if (!map.has(k)) map.set(k, offset);
  }

  private value(path: (string | number)[], depth: number): void {
    if (depth > MAX_DEPTH) throw new Stop();
    const s = this.s;
    const start = this.p;
    this.mark(this.loc.values, path, start);
    const c = s[this.p];
    if (c === '"') {
      if (s.startsWith('"""', this.p)) this.multiline('"');
      else this.basicString();
    } else if (c === "'") {
      if (s.startsWith("'''", this.p)) this.multiline("'");
      else this.literalString();
    } else if (c === '[') {
      this.p++;
      for (let i = 0; ; ) {
        this.blank();
        const d = s[this.p];
        if (d === ']') { this.p++; break; }
        if (d === ',') { this.p++; continue; }
        if (d === undefined) throw new Stop();
        const el = [...path, i++];
        this.mark(this.loc.keys, el, this.p);
        this.value(el, depth + 1);
      }
    } else if (c === '{') {
      this.p++;
      for (;;) {
        this.blank();
        const d = s[this.p];
        if (d === '}') { this.p++; break; }
        if (d === ',') { this.p++; continue; }
        if (d === undefined) throw new Stop();
        const keyStart = this.p;
        const segs = this.key();
        this.expect('=');
        this.ws();
        const full = [...path, ...segs];
        this.keyed(full, path.length, keyStart);
        this.value(full, depth + 1);
      }
    } else {
      this.scalar();
    }
    if (this.p === start) throw new Stop();
  }

  /** A number, boolean or date: up to the next delimiter (a space inside a date-time is part of it). */
  private scalar(): void {
    const s = this.s;
    const start = this.p;
    while (this.p < s.length && !' \t\r\n,]}#'.includes(s[this.p]!)) this.p++;
    if (/^\d{4}-\d{2}-\d{2}$/.test(s.slice(start, this.p)) && s[this.p] === ' ' && /\d/.test(s[this.p + 1] ?? '')) {
      this.p++;
      while (this.p < s.length && !' \t\r\n,]}#'.includes(s[this.p]!)) this.p++;
    }
  }

  /** A dotted key: bare, "basic" or 'literal' segments. */
  private key(): string[] {
    const s = this.s;
    const segs: string[] = [];
    for (;;) {
      this.ws();
      const c = s[this.p];
      if (c === '"') segs.push(this.basicString());
      else if (c === "'") segs.push(this.literalString());
      else {
        const start = this.p;
        while (this.p < s.length && /[A-Za-z0-9_-]/.test(s[this.p]!)) this.p++;
        if (this.p === start) throw new Stop();
        segs.push(s.slice(start, this.p));
      }
      this.ws();
      if (s[this.p] !== '.') return segs;
      this.p++;
    }
  }

  private basicString(): string {
    const s = this.s;
    this.p++;
    let out = '';
    for (;;) {
      const c = s[this.p];
      if (c === undefined || c === '\n') throw new Stop();
      this.p++;
      if (c === '"') return out;
      if (c !== '\\') { out += c; continue; }
      const e = s[this.p++];
      const hex = (n: number): void => {
        const h = s.slice(this.p, this.p + n);
        this.p += n;
        const v = /^[0-9A-Fa-f]+$/.test(h) ? parseInt(h, 16) : NaN;
        out += Number.isInteger(v) && v <= 0x10ffff ? String.fromCodePoint(v) : '\ufffd';
      };
      if (e === 'u') hex(4);
      else if (e === 'U') hex(8);
      else if (e === 'x') hex(2);
      else out += ({ b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b' } as Record<string, string>)[e ?? ''] ?? e ?? '';
    }
  }

  private literalString(): string {
    const end = this.s.indexOf("'", this.p + 1);
    const nl = this.s.indexOf('\n', this.p + 1);
    if (end < 0 || (nl >= 0 && nl < end)) throw new Stop();
    const out = this.s.slice(this.p + 1, end);
    this.p = end + 1;
    return out;
  }

  /** `"""..."""` or `'''...'''`; up to two more quotes may end the content. */
  private multiline(q: '"' | "'"): void {
    const s = this.s;
    const fence = q.repeat(3);
    this.p += 3;
    for (;;) {
      if (this.p >= s.length) throw new Stop();
      if (q === '"' && s[this.p] === '\\') { this.p += 2; continue; }
      if (s.startsWith(fence, this.p)) {
        this.p += 3;
        for (let extra = 0; extra < 2 && s[this.p] === q; extra++) this.p++;
        return;
      }
      this.p++;
    }
  }

  private lineEnd(from: number): number {
    const nl = this.s.indexOf('\n', from);
    return nl < 0 ? this.s.length : nl;
  }

  private expect(c: string): void {
    this.ws();
    if (this.s[this.p] !== c) throw new Stop();
    this.p++;
  }

  private ws(): void {
    while (this.s[this.p] === ' ' || this.s[this.p] === '\t') this.p++;
  }

  /** Whitespace, newlines and comments (inside arrays and inline tables). */
  private blank(): void {
    for (;;) {
      const c = this.s[this.p];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.p++;
      else if (c === '#') this.comment();
      else return;
    }
  }

  private comment(): void {
    const nl = this.s.indexOf('\n', this.p);
    this.p = nl < 0 ? this.s.length : nl;
  }

  /** After a header or key/value: only a comment may follow on the line. */
  private restOfLine(): void {
    this.ws();
    const c = this.s[this.p];
    if (c === '#') this.comment();
    else if (c !== undefined && c !== '\n' && c !== '\r') throw new Stop();
  }
}
