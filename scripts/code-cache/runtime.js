// Runs a bundle file as a classic script with a V8 code cache, the way Node
// compiles its own built-in modules. scripts/bundle.mjs copies this file into
// each package's dist/bundle as code-cache.js, and the ES module shims it
// writes call runCached(). Why: on a first call V8 compiles each function it
// has only pre-parsed; loading an object calls ~280 of them, about 9 ms of a
// ~25 ms first load. A code cache made after a real load (scripts/code-cache/
// train.mjs, at build time) holds their bytecode. ES modules cannot take a
// code cache on Node 20, classic scripts can (vm.Script cachedData).
//
// A missing cache, or one V8 rejects (another Node or V8 version, other V8
// flags), costs nothing but the speed-up: the script compiles as it would have.
// LOCKNE_CODE_CACHE=0 skips the cache (to measure without it).

// Built-ins through process.getBuiltinModule (Node >= 20.16) when there is one:
// an ES module import of a built-in makes Node build a module facade for it,
// ~0.7 ms each, and nothing else on the cached path imports these. node:module
// is the one kept, for older Node 20 (not a top-level await: Node 22's
// require() of ES modules refuses a graph that has one).
import { createRequire as requireFrom } from 'node:module';

const builtin = process.getBuiltinModule ?? requireFrom(import.meta.url);
const { readFileSync } = builtin('node:fs');
const path = builtin('node:path');
const { fileURLToPath, pathToFileURL } = builtin('node:url');
const { Script } = builtin('node:vm');

// The parameters the script's code refers to. The head sits on the script's
// first line, so line numbers (and the source map) stay those of the file.
const HEAD = '(function (exports, require, module, __filename, __dirname, __lockneImportMetaUrl) {';
const TAIL = '\n})';

// Every script run so far in this process, {file, cacheFile, cache, script},
// where cache is 'accepted', 'rejected' (by V8), 'absent' (none, or
// LOCKNE_CODE_CACHE=0) or 'source-maps'. One list, on globalThis, shared by the
// copies of this file in each package: train.mjs writes each script's cache
// from it, and the tests and the object-load bench read what happened.
const scripts = (globalThis[Symbol.for('lockne.codeCache.scripts')] ??= []);

/**
 * Runs `file` (next to the shim at `shimUrl`) and returns its exports.
 * `imports` maps the specifiers the script requires that are ES modules (the
 * shim imported them; CommonJS require() cannot load them on Node 20) to their
 * namespaces; node: built-ins go to a real require().
 * @param {string} shimUrl
 * @param {string} file
 * @param {string} cacheFile
 * @param {Record<string, object>} imports
 */
export function runCached(shimUrl, file, cacheFile, imports) {
  const dir = path.dirname(fileURLToPath(shimUrl));
  const filename = path.join(dir, file);
  const source = readFileSync(filename, 'utf8');
  const cachePath = path.join(dir, cacheFile);
  const url = pathToFileURL(filename).href;
  let run;
  if (process.sourceMapsEnabled) {
    // --enable-source-maps: Node maps stack traces of eval'd code by its
    // sourceURL, not those of vm scripts. Debugging, so no cache.
    run = (0, eval)(`${HEAD}${source}${TAIL}\n//# sourceURL=${url}`);
    scripts.push({ file: filename, cacheFile: cachePath, cache: 'source-maps' });
  } else {
    let cachedData;
    if (process.env.LOCKNE_CODE_CACHE !== '0') {
      try {
        cachedData = readFileSync(cachePath);
      } catch {
        // Not trained (a build without root or clang): compile as usual.
      }
    }
    const script = new Script(HEAD + source + TAIL, { filename, cachedData });
    scripts.push({ file: filename, cacheFile: cachePath, cache: cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted', script });
    run = script.runInThisContext();
  }
  const nodeRequire = requireFrom(filename);
  const require = (id) => (Object.hasOwn(imports, id) ? imports[id] : nodeRequire(id));
  const module = { exports: {} };
  run(module.exports, require, module, filename, dir, url);
  return module.exports;
}
