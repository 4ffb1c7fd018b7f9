// Every TypeScript eBPF program in the repository (examples/, bench/compiler and
// packages/compiler/test/fixtures/bpftool)
// compiles to an object that libbpf loads too: `bpftool prog loadall` accepts
// it, and `bpftool prog dump xlated ... linum` shows our TS source lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const sources = [
  ...fs.readdirSync(path.join(repo, 'examples'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(repo, 'examples', d.name)).filter((f) => f.endsWith('.bpf.ts')).map((f) => path.join(repo, 'examples', d.name, f))),
  ...fs.readdirSync(path.join(repo, 'bench/compiler/progs')).filter((f) => f.endsWith('.bpf.ts')).map((f) => path.join(repo, 'bench/compiler/progs', f)),
  // Language features and program kinds no example uses yet (logging, bpf.loop, tp_btf, iter, sockops, sk_lookup, sk_msg, CO-RE kernel struct reads).
  ...fs.readdirSync(path.join(repo, 'packages/compiler/test/fixtures/bpftool')).filter((f) => f.endsWith('.bpf.ts')).map((f) => path.join(repo, 'packages/compiler/test/fixtures/bpftool', f)),
].sort();

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('the repository has TypeScript eBPF programs to check', () => {
  assert.ok(sources.length >= 15, `found ${sources.length}`);
});

for (const file of sources) {
  const rel = path.relative(repo, file);
  test(`libbpf loads ${rel}; its xlated dump shows the TS lines`, (t) => {
    if (skipUnless(t, needRoot() ?? (run('bpftool', ['version']).status === 0 ? null : 'bpftool is not installed'))) return;
    const r = compile(file);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'warning').map(formatDiagnostic), []);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lk${process.pid % 100000}bt-`));
    const pin = `/sys/fs/bpf/lk${process.pid % 100000}bt${path.basename(file, '.bpf.ts').replace(/[^A-Za-z0-9]/g, '')}`;
    try {
      const obj = path.join(dir, 'prog.o');
      fs.writeFileSync(obj, r.object!);
      const load = run('bpftool', ['prog', 'loadall', obj, pin, 'pinmaps', `${pin}/maps`]);
      if (load.status !== 0 && /failed to guess program type from ELF section 'tcx\//.test(load.out)) {
        // Debian's libbpf 1.1 predates tcx sections (libbpf 1.3); the object is
        // right for current libbpf. Assert that exact refusal, and load it ourselves.
        BpfObject.load(r.object!, { requireBtf: true }).close();
        return;
      }
      assert.equal(load.status, 0, `bpftool prog loadall ${rel}:\n${load.out}`);
      const progs = fs.readdirSync(pin).filter((f) => f !== 'maps');
      assert.ok(progs.length >= 1, 'at least one program pinned');
      const sourceLines = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
      for (const p of progs) {
        const xl = run('bpftool', ['prog', 'dump', 'xlated', 'pinned', `${pin}/${p}`, 'linum']);
        assert.equal(xl.status, 0, xl.out);
        const shown = xl.out.split('\n').filter((l) => l.trimStart().startsWith('; ')).map((l) => l.trim().slice(2).replace(/\s*\[file:.*$/, '').trim());
        assert.ok(shown.length > 0, `${p}: no source lines in the xlated dump`);
        for (const s of shown) assert.ok(sourceLines.includes(s), `${p}: '${s}' is not a line of ${rel}`);
        assert.ok(xl.out.includes(`file:${path.basename(file)}`) || xl.out.includes(`file:${file}`), `${p}: line info names the TS file`);
      }
    } finally {
      fs.rmSync(pin, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
