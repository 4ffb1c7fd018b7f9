#!/usr/bin/env node
// Build step: compile Lockne's kernel programs (src/bpf/*.bpf.ts) with our own
// TypeScript → eBPF compiler into dist/bpf/*.o. No clang involved. Any
// diagnostic fails the build, printed as file:line:col: LKxxxx message.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, formatDiagnostic } from '@lockne/compiler';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'src', 'bpf');
const outDir = path.join(root, 'dist', 'bpf');
fs.mkdirSync(outDir, { recursive: true });
let failed = false;
for (const f of fs.readdirSync(srcDir).filter((n) => n.endsWith('.bpf.ts'))) {
  const file = path.join(srcDir, f);
  const started = performance.now();
  const r = compile(file);
  for (const d of r.diagnostics) console.error(formatDiagnostic(d));
  if (!r.object || r.diagnostics.some((d) => d.severity !== 'warning')) {
    failed = true;
    continue;
  }
  const out = path.join(outDir, f.replace(/\.ts$/, '.o'));
  fs.writeFileSync(out, r.object);
  console.log(`build-bpf: ${path.relative(root, out)} (${r.object.length} bytes, ${Math.round(performance.now() - started)} ms)`);
}
if (failed) process.exit(1);
