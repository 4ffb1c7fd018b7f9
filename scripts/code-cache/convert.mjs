// Turns one ES module of a bundle into a classic script plus an ES module shim
// that runs it through runtime.js (copied next to it as code-cache.js), so
// V8 can take a code cache for it. See runtime.js for why.
//
//   F.js (ESM, from esbuild)  ->  F.cjs + F.cjs.map   the same code as CommonJS
//                                 F.js                 the shim: imports F's ES module
//                                                      dependencies, runs F.cjs, re-exports
//   F.<sha256 of F.cjs>.v8cache                        written later by train.mjs
//
// The cache file is named after the script's content hash: V8 itself checks
// only the source's length, so a rebuilt script never meets an old cache.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { isBuiltin } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

/** Every import stays an import (a require() in the script, same specifier), recorded in `seen`. */
function everythingExternal(seen) {
  return {
    name: 'everything-external',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        seen.push({ path: args.path, kind: args.kind });
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * `import fs from 'node:fs'` becomes `var import_node_fs = __toESM(require("node:fs"), 1)`, which
 * copies every property of the module as a getter (~100 for fs, 22 such imports: ~2 ms of the
 * import). When the code reads only `.default` of it, `{ default: require(...) }` is the same.
 */
function plainBuiltinDefaults(code) {
  return code.replace(/var (\w+) = __toESM\(require\("(node:[\w/]+)"\), 1\);/g, (whole, name, spec) => {
    const uses = code.match(new RegExp(`\\b${name}\\b(\\.\\w+)?`, 'g')) ?? [];
    const onlyDefault = uses.every((u) => u === name || u === `${name}.default`) && uses.filter((u) => u === name).length === 1;
    return onlyDefault ? `var ${name} = { default: require("${spec}") };` : whole;
  });
}

/**
 * esbuild's CommonJS exports are getters, one arrow function per export (`__export(x_exports,
 * { a: () => a })`). The shim reads each once, so each arrow is compiled just for that: ~700 of
 * them, several ms of the import when there is no code cache. No export is reassigned after the
 * module body has run (none is an exported `let`), so a plain object built at the end of the
 * script is the same. The lines of the block stay, empty, so the source map still fits.
 */
function plainExports(code, file) {
  const block = /^__export\((\w+_exports), \{\n((?:  [\w$]+: \(\) => [\w$.]+,?\n)*)\}\);\n/m.exec(code);
  const assign = block && new RegExp(`^module\\.exports = __toCommonJS\\(${block[1]}\\);$`, 'm').exec(code);
  if (!block || !assign) throw new Error(`bundle: ${file}: esbuild's export block is not in the expected form; see plainExports in scripts/code-cache/convert.mjs`);
  const entries = block[2].trimEnd().split('\n').map((line) => line.trim().replace(/,$/, '').replace(': () => ', ': '));
  const blank = (text) => text.replace(/[^\n]/g, '');
  const tail = `module.exports = {\n  ${entries.join(',\n  ')}\n};\n`;
  let out = code.slice(0, block.index) + blank(block[0]) + code.slice(block.index + block[0].length);
  out = out.replace(assign[0], '');
  // Before the source map comment, which stays last.
  const at = out.lastIndexOf('\n//# sourceMappingURL=');
  return at < 0 ? out + tail : `${out.slice(0, at + 1)}${tail}${out.slice(at + 1)}`;
}

/**
 * @param {string} file absolute path of an ES module esbuild wrote
 * @param {{ exports: string[] }} meta its metafile output entry
 * @param {string} runtimeFile absolute path of code-cache.js in the same bundle
 */
export async function toCachedScript(file, meta, runtimeFile) {
  const seen = [];
  const base = path.basename(file, '.js');
  const dir = path.dirname(file);
  const scriptFile = path.join(dir, `${base}.cjs`);
  await build({
    entryPoints: [file],
    outfile: scriptFile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    plugins: [everythingExternal(seen)],
    define: { 'import.meta.url': '__lockneImportMetaUrl' },
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  // vm.Script has no module loader for import() on Node 20 without a flag.
  const dynamic = seen.filter((i) => i.kind !== 'import-statement');
  if (dynamic.length) throw new Error(`bundle: ${file} has ${dynamic.map((i) => `${i.kind} ${i.path}`).join(', ')}: a cached script can only have static imports`);
  fs.writeFileSync(scriptFile, plainExports(plainBuiltinDefaults(fs.readFileSync(scriptFile, 'utf8')), scriptFile));
  const script = fs.readFileSync(scriptFile);
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 16);
  if (/\bimport\(/.test(script.toString('utf8'))) throw new Error(`bundle: ${scriptFile} calls import(), which a cached script cannot`);
  const esmImports = [...new Set(seen.filter((i) => !isBuiltin(i.path)).map((i) => i.path))];
  const names = meta.exports.filter((n) => n !== 'default');
  const runtime = './' + path.relative(dir, runtimeFile);
  const lines = [
    `// Generated by scripts/bundle.mjs: the code is in ${base}.cjs, run as a classic`,
    `// script so V8 can use a code cache (scripts/code-cache/runtime.js says why).`,
    `import { runCached } from ${JSON.stringify(runtime)};`,
    ...esmImports.map((spec, i) => `import * as dep${i} from ${JSON.stringify(spec)};`),
    `const m = runCached(import.meta.url, ${JSON.stringify(`${base}.cjs`)}, ${JSON.stringify(`${base}.${hash}.v8cache`)}, {`,
    ...esmImports.map((spec, i) => `  ${JSON.stringify(spec)}: dep${i},`),
    `});`,
    ...(names.length ? [`export const { ${names.join(', ')} } = m;`] : []),
    ...(meta.exports.includes('default') ? ['export default m.default;'] : []),
    '',
  ];
  fs.writeFileSync(file, lines.join('\n'));
  fs.rmSync(`${file}.map`, { force: true });
}
