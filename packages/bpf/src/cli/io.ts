// Input and output helpers shared by the CLI commands: reading a file or
// stdin, hex in and out, JSON that survives bigints.
import fs from 'node:fs';
import { ArgumentError } from '../errors.js';

/** Bytes of `file`, or of stdin when `file` is '-'. Errors name the file. */
export function readInput(file: string): Buffer {
  try {
    return fs.readFileSync(file === '-' ? 0 : file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ArgumentError(`cannot read ${file === '-' ? 'stdin' : `'${file}'`}: ${err.code ?? err.message}`);
  }
}

/** Parse hex text ("0a0b", "0a 0b", "0x0a0b", newlines allowed). `what` names the option in errors. */
export function parseHex(text: string, what: string): Uint8Array {
  const clean = text.replace(/(^|[\s:,])0[xX]/g, '$1').replace(/[\s:,]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) {
    const bad = /[^0-9a-fA-F]/.exec(clean)?.[0] ?? '?';
    throw new ArgumentError(`${what}: '${bad}' is not a hex digit`);
  }
  if (clean.length % 2 !== 0) throw new ArgumentError(`${what}: odd number of hex digits (${clean.length})`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/** Lower-case hex, no separators. */
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** "00 01 02", bpftool's dump style. */
export const spacedHex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

/** A hex dump with offsets, 16 bytes a line, indented. */
export function hexDump(b: Uint8Array, indent = '  '): string {
  const lines: string[] = [];
  for (let o = 0; o < b.byteLength; o += 16) {
    lines.push(`${indent}${o.toString(16).padStart(4, '0')}: ${spacedHex(b.subarray(o, o + 16))}`);
  }
  return lines.join('\n');
}

/** JSON with bigints as numbers when exact, else as decimal strings. */
export function toJson(value: unknown, pretty = false): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  }, pretty ? 2 : undefined);
}

/** Parse a non-negative integer option. */
export function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new ArgumentError(`${what}: '${text}' is not a non-negative integer`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new ArgumentError(`${what}: ${text} is too large`);
  return n;
}
