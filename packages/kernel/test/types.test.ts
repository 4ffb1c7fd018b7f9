// Type-level tests: tsc, run through its compiler API against the built
// @lockne/kernel declarations, must accept the correct *.bpf.ts fixtures and
// reject each mistake in reject/ with exactly the error its `// expect TSnnnn` marker names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');
const list = (sub: string): string[] => readdirSync(join(fixtures, sub)).filter((f) => f.endsWith('.bpf.ts')).map((f) => join(fixtures, sub, f));
const accept = list('accept');
const reject = list('reject');

// One program for every fixture: type-checking the declarations once keeps this fast.
const program = ts.createProgram([...accept, ...reject], {
  strict: true, noEmit: true, target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [],
});

/** `line:TScode` for every diagnostic of a file (1-based lines). */
function diagnostics(file: string): string[] {
  const sf = program.getSourceFile(file);
  assert.ok(sf, `fixture not in program: ${file}`);
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => {
    const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
    return `${line}:TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 120)}`;
  });
}

test('fixtures exist', () => {
  assert.ok(accept.length >= 3, 'accept fixtures');
  assert.ok(reject.length >= 1, 'reject fixtures');
});

for (const file of accept) {
  test(`tsc accepts ${file.slice(fixtures.length + 1)}`, () => {
    assert.deepEqual(diagnostics(file), []);
  });
}

for (const file of reject) {
  test(`tsc rejects every marked line of ${file.slice(fixtures.length + 1)}, and nothing else`, () => {
    const expected = readFileSync(file, 'utf8').split('\n').flatMap((text, i) => {
      const m = /\/\/ expect (TS\d+)/.exec(text);
      return m === null ? [] : [`${i + 1}:${m[1]}`];
    });
    const got = diagnostics(file);
    assert.deepEqual(got.map((g) => g.split(' ')[0]), expected, `got:\n${got.join('\n')}`);
  });
}

test('the reject fixture covers each mistake the language must catch', () => {
  const text = readFileSync(join(fixtures, 'reject', 'mistakes.bpf.ts'), 'utf8');
  const markers = text.match(/\/\/ expect TS\d+/g) ?? [];
  assert.equal(markers.length, 22);
  for (const why of ['u64 mixed with u32', 'u8 where u32 is expected', 'without a null check', 'read-only ctx field', 'without a bounds check', 'rodata is read-only', 'unknown hook',
    'retval exists only at getsockopt', 'atomics take u32/u64']) {
    assert.ok(text.includes(why), `missing case: ${why}`);
  }
});
