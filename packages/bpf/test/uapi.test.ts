// Checks every attr/info layout and enum value in src/sys against the build
// machine's <linux/bpf.h>, by compiling a C program that prints offsetof()s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as attrs from '../src/sys/attrs.js';
import { AttachType, BpfCmd, LinkType, MapType, ProgType } from '../src/sys/consts.js';
import type { Fields, Struct } from '../src/sys/layout.js';

const header = '/usr/include/linux/bpf.h';

test('attr and info layouts match <linux/bpf.h>', (t) => {
  if (!fs.existsSync(header)) {
    if (process.env.LOCKNE_REQUIRE_KERNEL === '1') throw new Error(`${header} missing (install linux-libc-dev)`);
    t.skip(`${header} missing`);
    return;
  }
  const checks: { label: string; expr: string; expect: number }[] = [];
  for (const s of Object.values(attrs) as Struct<Fields>[]) {
    for (const [name, f] of Object.entries(s.fields)) {
      if (f.newerThanHeader) continue;
      checks.push({ label: `${s.name}.${name}`, expr: `offsetof(${s.cType}, ${f.c ?? name})`, expect: f.offset });
    }
  }
  const enums: [string, Record<string, number>][] = [['BPF_', BpfCmd], ['BPF_MAP_TYPE_', MapType], ['BPF_PROG_TYPE_', ProgType], ['BPF_', AttachType], ['BPF_LINK_TYPE_', LinkType]];
  // Enum members the header has: found by name in its text.
  const text = fs.readFileSync(header, 'utf8');
  for (const [prefix, table] of enums) {
    for (const [k, v] of Object.entries(table)) {
      const cname = `${prefix}${k}`;
      if (new RegExp(`\\b${cname}\\b`).test(text)) checks.push({ label: cname, expr: cname, expect: v });
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-uapi-'));
  try {
    const src = path.join(dir, 'check.c');
    fs.writeFileSync(src, `#include <stddef.h>\n#include <stdio.h>\n#include <linux/bpf.h>\nint main(void) {\n${checks
      .map((c) => `  printf("%s %ld\\n", "${c.label}", (long)(${c.expr}));`).join('\n')}\n  return 0;\n}\n`);
    execFileSync('cc', ['-o', path.join(dir, 'check'), src]);
    const out = execFileSync(path.join(dir, 'check'), { encoding: 'utf8' });
    const got = new Map(out.trim().split('\n').map((l) => { const [k, v] = l.split(' '); return [k!, Number(v)] as const; }));
    const wrong = checks.filter((c) => got.get(c.label) !== c.expect).map((c) => `${c.label}: ours ${c.expect}, header ${got.get(c.label)}`);
    assert.deepEqual(wrong, []);
    assert.ok(checks.length > 150, `checked ${checks.length} items`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
