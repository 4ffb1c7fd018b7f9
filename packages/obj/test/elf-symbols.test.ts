// ElfFile: function symbol -> file offset for uprobes, checked against binutils'
// readelf on binaries gcc builds here (PIE, non-PIE, shared library) and on the
// system libc; malformed input ends in ElfParseError.
import { test, before, after } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ElfFile, ElfParseError, ElfSymbolError, ElfType, SymbolBind, SymbolType } from '../src/index.js';

let dir = '';
const have = (cmd: string): boolean => {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const tools = have('cc') && have('readelf');

function needTools(t: TestContext): boolean {
  if (tools) return false;
  if (process.env.LOCKNE_REQUIRE_KERNEL === '1') throw new Error('cc and readelf are required');
  t.skip('needs cc and readelf');
  return true;
}

const MAIN = `
__attribute__((noinline)) int lockne_target(int x) { __asm__ volatile(""); return x * 3 + 1; }
int other(int x);
int main(int argc, char **argv) { int s = 0; for (int i = 0; i < argc; i++) s += lockne_target(i) + other(i); return s & 1; }
`;
// Two static functions with the same name in two files make a LOCAL-only tie.
const OTHER = `
static __attribute__((noinline)) int dup(int x) { __asm__ volatile(""); return x + 7; }
int other(int x) { return dup(x); }
`;
const OTHER2 = `
static __attribute__((noinline)) int dup(int x) { __asm__ volatile(""); return x + 9; }
int other2(int x) { return dup(x); }
`;

before(() => {
  if (!tools) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-elf-'));
  fs.writeFileSync(path.join(dir, 'main.c'), MAIN);
  fs.writeFileSync(path.join(dir, 'other.c'), OTHER);
  fs.writeFileSync(path.join(dir, 'other2.c'), OTHER2);
  const cc = (args: string[]): void => { execFileSync('cc', ['-O2', ...args], { cwd: dir }); };
  cc(['-fPIE', '-pie', '-o', 'pie', 'main.c', 'other.c', 'other2.c']);
  cc(['-fno-pie', '-no-pie', '-o', 'nopie', 'main.c', 'other.c', 'other2.c']);
  cc(['-fPIC', '-shared', '-o', 'libt.so', 'main.c', 'other.c']);
  cc(['-c', '-o', 'main.o', 'main.c']);
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The file offset readelf implies: symbol value - section address + section offset. */
function readelfOffset(file: string, name: string, dyn = false): number {
  const syms = execFileSync('readelf', ['-W', dyn ? '--dyn-syms' : '-s', file], { encoding: 'utf8' });
  const line = syms.split('\n').find((l) => / FUNC /.test(l) && l.trim().split(/\s+/)[7]?.replace(/@.*/, '') === name);
  assert.ok(line, `readelf shows no FUNC ${name} in ${file}`);
  const f = line.trim().split(/\s+/);
  const value = parseInt(f[1]!, 16);
  const shndx = Number(f[6]);
  const secs = execFileSync('readelf', ['-W', '-S', file], { encoding: 'utf8' });
  const sec = secs.split('\n').map((l) => /^\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(l)).find((m) => m && Number(m[1]) === shndx);
  assert.ok(sec, `readelf shows no section ${shndx}`);
  return value - parseInt(sec[3]!, 16) + parseInt(sec[4]!, 16);
}

test('PIE, non-PIE, shared library and object file: offsets agree with readelf', (t) => {
  if (needTools(t)) return;
  for (const [file, type] of [['pie', ElfType.DYN], ['nopie', ElfType.EXEC], ['libt.so', ElfType.DYN], ['main.o', ElfType.REL]] as const) {
    const p = path.join(dir, file);
    const elf = ElfFile.parse(fs.readFileSync(p));
    assert.equal(elf.type, type, file);
    const { offset, symbol } = elf.functionOffset('lockne_target');
    assert.equal(symbol.type, SymbolType.FUNC);
    assert.equal(symbol.bind, SymbolBind.GLOBAL);
    assert.equal(offset, readelfOffset(p, 'lockne_target'), file);
    assert.ok(elf.section('.text'));
  }
  // Non-PIE: .text is mapped at 0x400000+, so the file offset differs from the address.
  const nopie = ElfFile.parse(fs.readFileSync(path.join(dir, 'nopie')));
  const r = nopie.functionOffset('lockne_target');
  assert.ok(r.symbol.value >= 0x400000 && r.offset < 0x400000, `value 0x${r.symbol.value.toString(16)} offset 0x${r.offset.toString(16)}`);
});

test('a stripped library resolves through .dynsym; the system libc too', (t) => {
  if (needTools(t)) return;
  const stripped = path.join(dir, 'libt-stripped.so');
  execFileSync('strip', ['-o', stripped, path.join(dir, 'libt.so')]);
  const elf = ElfFile.parse(fs.readFileSync(stripped));
  assert.equal(elf.section('.symtab'), undefined);
  assert.equal(elf.functionOffset('lockne_target').offset, readelfOffset(stripped, 'lockne_target', true));
  assert.equal(elf.functionOffset('lockne_target').symbol.table, '.dynsym');
  // Static functions vanish with .symtab: the error says the file is stripped.
  assert.throws(() => elf.functionOffset('dup'), (e: unknown) => e instanceof ElfSymbolError && /not found in \.dynsym \(no \.symtab: stripped\)/.test(e.message));

  const libc = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).find((p) => p && /\/libc\.so\.6$/.test(p));
  if (!libc) return; // a statically linked or musl node: nothing more to compare
  const c = ElfFile.parse(fs.readFileSync(libc));
  assert.equal(c.functionOffset('getpid').offset, readelfOffset(libc, 'getpid', true));
});

test('absent, ambiguous and versioned names', (t) => {
  if (needTools(t)) return;
  const elf = ElfFile.parse(fs.readFileSync(path.join(dir, 'pie')));
  assert.throws(() => elf.functionOffset('no_such_function'), (e: unknown) =>
    e instanceof ElfSymbolError && e.symbol === 'no_such_function' && /not found in \.symtab and \.dynsym/.test(e.message));
  // Two LOCAL 'dup' functions at different offsets: a tie.
  assert.throws(() => elf.functionOffset('dup'), (e: unknown) => e instanceof ElfSymbolError && /'dup' is ambiguous: 0x[0-9a-f]+, 0x[0-9a-f]+/.test(e.message));
  // An undefined (imported) symbol is not a definition.
  const o = ElfFile.parse(fs.readFileSync(path.join(dir, 'main.o')));
  assert.ok(o.symbols().some((s) => s.name === 'other' && s.shndx === 0));
  assert.throws(() => o.functionOffset('other'), ElfSymbolError);
  // 'name' finds 'name@VERSION'; 'name@VERSION' must match exactly.
  const libc = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).find((p) => p && /\/libc\.so\.6$/.test(p));
  if (libc) {
    const c = ElfFile.parse(fs.readFileSync(libc));
    assert.ok(c.functionOffset('getpid').offset > 0);
    assert.throws(() => c.functionOffset('getpid@NOPE'), ElfSymbolError);
  }
});

test('malformed ELF: ElfParseError with the offset, for 500 random mutations too', (t) => {
  if (needTools(t)) return;
  assert.throws(() => ElfFile.parse(new Uint8Array(10)), (e: unknown) => e instanceof ElfParseError && e.offset === 0 && /shorter than the ELF64 header/.test(e.message));
  assert.throws(() => ElfFile.parse(new TextEncoder().encode('#!/bin/sh\n'.padEnd(100, ' '))), /not an ELF file/);
  const good = fs.readFileSync(path.join(dir, 'libt.so'));
  const b32 = new Uint8Array(good); b32[4] = 1;
  assert.throws(() => ElfFile.parse(b32), (e: unknown) => e instanceof ElfParseError && e.offset === 4 && /not ELFCLASS64/.test(e.message));
  assert.throws(() => ElfFile.parse(good.subarray(0, 4096)), (e: unknown) => e instanceof ElfParseError && /section headers .* past the end/.test(e.message));

  let x = 0x5eed;
  const rand = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32; };
  const shoff = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(40, true));
  const outcomes = { ok: 0, parse: 0, symbol: 0 };
  for (let i = 0; i < 500; i++) {
    const b = new Uint8Array(good);
    // Aim at the header, the section headers and the symbol tables, where the reader looks.
    const region = i % 3 === 0 ? [0, 64] : i % 3 === 1 ? [shoff, b.length] : [0, b.length];
    for (let k = 0; k < 1 + (i % 4); k++) b[region[0]! + Math.floor(rand() * (region[1]! - region[0]!))] = Math.floor(rand() * 256);
    try {
      const elf = ElfFile.parse(i % 7 === 0 ? b.subarray(0, Math.floor(rand() * b.length)) : b);
      elf.symbols();
      elf.functionOffset('lockne_target');
      outcomes.ok++;
    } catch (e) {
      if (e instanceof ElfParseError) outcomes.parse++;
      else if (e instanceof ElfSymbolError) outcomes.symbol++;
      else throw e;
    }
  }
  assert.ok(outcomes.parse > 20 && outcomes.ok > 20, JSON.stringify(outcomes));
});
