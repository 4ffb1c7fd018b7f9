// The bundles' V8 code cache (scripts/code-cache/): the large bundle files run
// as classic scripts, with a cache the build trained by loading an object. A
// fresh process must take it; without it (not trained, rejected by V8, turned
// off) the library must behave the same; and a cache must never meet a script
// it was not made from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { needRoot, skipUnless } from '../src/testing.js';
import { clangMissing, compileBpfC } from './support/clang.js';

const packagesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bundles = ['obj', 'bpf'].map((p) => path.join(packagesDir, p, 'dist/bundle'));

/** Every cached script: its shim, the script, and the cache file the shim names. */
function cachedScripts(): { shim: string; script: string; cacheFile: string }[] {
  const out = [];
  for (const dir of bundles) {
    for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
      if (!rel.endsWith('.cjs')) continue;
      const script = path.join(dir, rel);
      const shim = script.replace(/\.cjs$/, '.js');
      const named = /runCached\(import\.meta\.url, "[^"]+", "([^"]+)"/.exec(fs.readFileSync(shim, 'utf8'));
      assert.ok(named, `${shim} does not run ${rel} through runCached`);
      out.push({ shim, script, cacheFile: path.join(path.dirname(script), named[1]) });
    }
  }
  return out;
}

const SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } hits SEC(".maps");
__u32 answer = 40;
SEC("tc") int count(struct __sk_buff *skb) {
  __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&hits, &k);
  if (v) *v += 1;
  return answer + 2;
}
char LICENSE[] SEC("license") = "GPL";
`;

/**
 * A fresh `node [flags] -e` that imports @lockne/bpf, optionally loads and runs
 * `object`, and reports each cached script's fate and what the run returned.
 */
function child(flags: string[], object: string | null, env: Record<string, string> = {}) {
  const code = `
    const bpf = await import('@lockne/bpf');
    const out = { scripts: globalThis[Symbol.for('lockne.codeCache.scripts')].map((s) => ({ file: s.file, cache: s.cache })) };
    if (${JSON.stringify(object)}) {
      const obj = bpf.BpfObject.load(${JSON.stringify(object)});
      try { out.retval = obj.program('count').testRun({ data: new Uint8Array(64), repeat: 3 }).retval; out.hits = String(obj.map('hits').get(0)); } finally { obj.close(); }
    }
    try { bpf.BpfObject.load(new Uint8Array(8)); } catch (e) { out.error = e.constructor.name; out.stack = e.stack; }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', code], {
    cwd: path.join(packagesDir, 'bpf'), encoding: 'utf8', env: { ...process.env, ...env },
  });
  assert.equal(r.status, 0, `child exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    scripts: { file: string; cache: string }[]; retval?: number; hits?: string; error: string; stack: string;
  };
}

function withObject<T>(fn: (object: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lk-codecache-'));
  try {
    return fn(compileBpfC(dir, 'count', SOURCE));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('each cached script is named by its content hash in its shim, so a rebuilt script never meets an old cache', () => {
  const scripts = cachedScripts();
  // obj's index, bpf's index and the chunk it shares with the CLI.
  assert.ok(scripts.length >= 3, `${scripts.length} cached scripts`);
  for (const { script, cacheFile } of scripts) {
    const hash = createHash('sha256').update(fs.readFileSync(script)).digest('hex').slice(0, 16);
    assert.equal(path.basename(cacheFile), `${path.basename(script, '.cjs')}.${hash}.v8cache`, script);
  }
});

test('a fresh process takes every code cache the build trained, and the cached code loads and runs an object', (t) => {
  const missing = cachedScripts().filter((s) => !fs.existsSync(s.cacheFile)).map((s) => path.basename(s.cacheFile));
  if (skipUnless(t, missing.length ? `code cache not trained (build as root with clang): ${missing.join(', ')}` : null)) return;
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const r = withObject((object) => child([], object));
  assert.deepEqual(r.scripts.map((s) => s.cache), r.scripts.map(() => 'accepted'), JSON.stringify(r.scripts));
  assert.equal(r.scripts.length, cachedScripts().length);
  assert.equal(r.retval, 42);
  assert.equal(r.hits, '3');
  assert.equal(r.error, 'ObjectParseError');
});

test('a cache V8 rejects (other V8 flags) or LOCKNE_CODE_CACHE=0 costs only the speed-up', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  withObject((object) => {
    const trained = cachedScripts().every((s) => fs.existsSync(s.cacheFile));
    const rejected = child(['--max-semi-space-size=32'], object);
    assert.deepEqual(new Set(rejected.scripts.map((s) => s.cache)), new Set([trained ? 'rejected' : 'absent']));
    const off = child([], object, { LOCKNE_CODE_CACHE: '0' });
    assert.deepEqual(new Set(off.scripts.map((s) => s.cache)), new Set(['absent']));
    for (const r of [rejected, off]) {
      assert.equal(r.retval, 42);
      assert.equal(r.hits, '3');
      assert.equal(r.error, 'ObjectParseError');
    }
  });
});

test('under --enable-source-maps the scripts run without the cache and stack traces lead to src/*.ts', () => {
  const r = child(['--enable-source-maps'], null);
  assert.deepEqual(new Set(r.scripts.map((s) => s.cache)), new Set(['source-maps']));
  assert.equal(r.error, 'ObjectParseError');
  assert.match(r.stack, /packages\/obj\/src\/object\/elf-rel\.ts:\d+:\d+/, r.stack);
  const plain = child([], null);
  assert.match(plain.stack, /packages\/obj\/dist\/bundle\/index\.cjs:\d+:\d+/, plain.stack);
});
