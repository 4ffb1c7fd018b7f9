// Benchmark: loading a multi-program object (bpf/object-load.bpf.c: 7
// programs of 6 types, 5 maps, .data/.bss/.rodata, a subprogram, a CO-RE
// read) with @lockne/bpf's BpfObject.load() vs libbpf, three ways:
//   - in-process, first load in a fresh process: BpfObject.load(path) vs
//     bpf_object__open_file() + bpf_object__load() (c/object_load.c), timed
//     inside the process (Node: after the module import);
//   - in-process, warm: the same, repeated in that process (each object closed,
//     untimed, before the next);
//   - whole process, exec to exit (references): `node object-load.mjs --child
//     obj 0` vs `bpftool prog loadall obj <bpffs dir>` and vs the C program;
//     the CLI a user would run instead of bpftool, `lockne-bpf load obj --pin
//     <bpffs dir>` (which also pins the maps, as `loadall ... pinmaps` would);
//     and `node -e 0`, Node's start-up alone, the floor of those rows.
// Goal: load time <= 1.2x libbpf's (ratio >= 0.83 in the table, where ratios
// are throughputs: loads per second), judged on the first and the warm load.
// Not on whole processes: Node's start-up alone exceeds 1.2x bpftool's run.
//
//   node bench/object-load.mjs [--quick]      # on its own (root), or via bench/run.mjs
//   node bench/object-load.mjs --child <obj> <reps>   # one process: used by the above
import { mkdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, row } from './lib/report.mjs';
import { median, round } from './lib/stats.mjs';
import { runMain, runStandalone } from './lib/standalone.mjs';

export const name = 'object-load';
const GOAL = round(1 / 1.2, 2);
const self = fileURLToPath(import.meta.url);
const here = path.dirname(self);
const CLI = path.join(here, '..', 'packages', 'bpf', 'bin', 'lockne-bpf.js');

/** One process: import, first load, `reps` warm loads; prints a JSON line. */
async function child(obj, reps) {
  const t0 = process.hrtime.bigint();
  const { BpfObject } = await import('@lockne/bpf');
  const importNs = Number(process.hrtime.bigint() - t0);
  const once = () => {
    const c0 = process.cpuUsage();
    const t = process.hrtime.bigint();
    const o = BpfObject.load(obj);
    const ns = Number(process.hrtime.bigint() - t);
    const c = process.cpuUsage(c0);
    const programs = o.programs.size;
    o.close();
    return { ns, cpu_ns: (c.user + c.system) * 1000, programs };
  };
  const first = once();
  const r = Array.from({ length: reps }, once);
  // What V8 did with the bundles' code caches (scripts/code-cache/runtime.js).
  const codeCache = [...new Set(globalThis[Symbol.for('lockne.codeCache.scripts')]?.map((s) => s.cache) ?? ['none'])].join(',');
  console.log(JSON.stringify({ programs: first.programs, import_ns: importNs, first, ns: r.map((x) => x.ns), cpu_ns: r.map((x) => x.cpu_ns), codeCache }));
}

function spawnJson(cmd, args, what, env = process.env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  const ns = Number(process.hrtime.bigint() - t0);
  if (r.error || r.status !== 0) throw new Error(`bench: ${what} exited ${r.status ?? r.signal ?? r.error?.message}: ${r.stderr}`);
  return { ns, out: r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').pop()) : undefined };
}

function buildObject() {
  const out = path.join(here, 'build', 'object-load.bpf.o');
  mkdirSync(path.dirname(out), { recursive: true });
  const multiarch = `/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  const args = ['-O2', '-g', '-target', 'bpf', `-I${multiarch}`, '-c', path.join(here, 'bpf', 'object-load.bpf.c'), '-o', out];
  const r = spawnSync('clang', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`bench: clang ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return out;
}

export async function run({ bins, quick, log }) {
  if (process.getuid?.() !== 0) throw new Error('bench: object-load needs root (bpf syscall, bpffs)');
  const { ensureBpffs } = await import('@lockne/bpf');
  ensureBpffs('/sys/fs/bpf');
  const obj = buildObject();
  const config = { object: 'bench/bpf/object-load.bpf.c', processes: quick ? 3 : 9, warm: quick ? 3 : 10 };
  const pinRoot = `/sys/fs/bpf/lk${process.pid}objload`;
  rmSync(pinRoot, { recursive: true, force: true });
  mkdirSync(pinRoot);
  const s = { node: [], nodeNoCache: [], libbpf: [], nodeProc: [], nodeBare: [], cProc: [], bpftoolProc: [], cliProc: [] };
  try {
    const impls = {
      node: () => s.node.push(spawnJson(process.execPath, [self, '--child', obj, String(config.warm)], 'node child').out),
      // Reference: the same without the bundles' V8 code cache.
      nodeNoCache: () => s.nodeNoCache.push(spawnJson(process.execPath, [self, '--child', obj, '0'], 'node child', { ...process.env, LOCKNE_CODE_CACHE: '0' }).out),
      libbpf: () => s.libbpf.push(spawnJson(bins.object_load, [obj, String(config.warm)], 'object_load').out),
      nodeProc: () => s.nodeProc.push(spawnJson(process.execPath, [self, '--child', obj, '0'], 'node child').ns),
      // Node's own start-up, for scale: the floor of any whole-process row.
      nodeBare: () => s.nodeBare.push(spawnJson(process.execPath, ['-e', '0'], 'node -e 0').ns),
      cProc: () => s.cProc.push(spawnJson(bins.object_load, [obj, '0'], 'object_load').ns),
      bpftoolProc: () => {
        const dir = path.join(pinRoot, 'progs');
        try {
          s.bpftoolProc.push(spawnJson('bpftool', ['prog', 'loadall', obj, dir], 'bpftool prog loadall').ns);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      cliProc: () => {
        const dir = path.join(pinRoot, 'cli');
        try {
          s.cliProc.push(spawnJson(process.execPath, [CLI, 'load', obj, '--pin', dir, '--json'], 'lockne-bpf load').ns);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
    // One untimed round so page cache and kernel BTF are as warm for every side.
    for (const f of Object.values(impls)) f();
    for (const k of Object.keys(s)) s[k].length = 0;
    const order = Object.keys(impls);
    for (let p = 0; p < config.processes; p++) {
      for (let j = 0; j < order.length; j++) impls[order[(p + j) % order.length]]();
    }
  } finally {
    rmSync(pinRoot, { recursive: true, force: true });
  }
  const programs = s.node[0].programs;
  const caches = new Set(s.node.map((x) => x.codeCache));
  if (caches.size !== 1 || !caches.has('accepted')) throw new Error(`bench: the node children's code cache was ${[...caches].join(', ')}, not accepted: build as root (npm run build trains it)`);
  if (s.nodeNoCache.some((x) => x.codeCache !== 'absent')) throw new Error('bench: LOCKNE_CODE_CACHE=0 did not turn the code cache off');
  if (programs !== s.libbpf[0].programs) throw new Error(`bench: node loaded ${programs} programs, libbpf ${s.libbpf[0].programs}`);
  const perSec = (nss) => nss.map((ns) => 1e9 / ns);
  const ms = (ns) => round(ns / 1e6, 2);
  const medMs = (xs) => ms(median(xs));
  const mk = (impl, api, ns, cpuNs) => row(impl, api, perSec(ns), { ms: ns.map(ms), ...(cpuNs ? { cpuMs: cpuNs.map(ms) } : {}) }, cpuNs ? perSec(cpuNs) : null);
  const nodeApi = '`BpfObject.load(path)`';
  const cApi = 'bpf_object__open_file + bpf_object__load';
  const firstNode = s.node.map((x) => x.first.ns);
  const firstC = s.libbpf.map((x) => x.first.ns);
  const firstNoCache = s.nodeNoCache.map((x) => x.first.ns);
  const warmNode = s.node.flatMap((x) => x.ns);
  const warmC = s.libbpf.flatMap((x) => x.ns);
  const note = (a, b) => `${medMs(a)} vs ${medMs(b)} ms`;
  const comparisons = [
    compare(`${programs} programs, 5 maps, globals, CO-RE: first load in a fresh process`, 'loads/s',
      mk('libbpf', cApi, firstC, s.libbpf.map((x) => x.first.cpu_ns)), mk('node', nodeApi, firstNode, s.node.map((x) => x.first.cpu_ns)), GOAL,
      `${note(firstNode, firstC)}; Node's module import (${medMs(s.node.map((x) => x.import_ns))} ms) not included`),
    compare(`${programs} programs, 5 maps, globals, CO-RE: first load in a fresh process`, 'loads/s',
      mk('libbpf', cApi, firstC, s.libbpf.map((x) => x.first.cpu_ns)), mk('node', `${nodeApi}, \`LOCKNE_CODE_CACHE=0\``, firstNoCache, s.nodeNoCache.map((x) => x.first.cpu_ns)), null,
      `${note(firstNoCache, firstC)}; import ${medMs(s.nodeNoCache.map((x) => x.import_ns))} ms: without the bundles' V8 code cache (reference)`),
    compare(`${programs} programs, 5 maps, globals, CO-RE: warm load (${config.warm} per process)`, 'loads/s',
      mk('libbpf', cApi, warmC, s.libbpf.flatMap((x) => x.cpu_ns)), mk('node', nodeApi, warmNode, s.node.flatMap((x) => x.cpu_ns)), GOAL,
      note(warmNode, warmC)),
    // The goal is judged on the load (the rows above): a whole Node process cannot meet it, since
    // Node's start-up alone (the next row) takes longer than 1.2x bpftool's entire run.
    compare(`${programs} programs: whole process, exec → load → exit`, 'loads/s',
      mk('bpftool', '`bpftool prog loadall`', s.bpftoolProc), mk('node', '`node` + import + `BpfObject.load`', s.nodeProc), null,
      `${note(s.nodeProc, s.bpftoolProc)} (bpftool): reference`),
    compare(`${programs} programs: Node's start-up alone, exec → exit`, 'runs/s',
      mk('bpftool', '`bpftool prog loadall`', s.bpftoolProc), mk('node', '`node -e 0`', s.nodeBare), null,
      `${note(s.nodeBare, s.bpftoolProc)} (bpftool's whole load): reference, the floor of the row above`),
    compare(`${programs} programs: whole process, exec → load → exit`, 'loads/s',
      mk('libbpf', 'C program (c/object_load.c)', s.cProc), mk('node', '`node` + import + `BpfObject.load`', s.nodeProc), null,
      `${note(s.nodeProc, s.cProc)} (C + libbpf): reference`),
    compare(`${programs} programs: the CLI, exec → load and pin → exit`, 'loads/s',
      mk('bpftool', '`bpftool prog loadall`', s.bpftoolProc), mk('node', '`lockne-bpf load --pin` (maps pinned too)', s.cliProc), null,
      `${note(s.cliProc, s.bpftoolProc)} (bpftool): reference`),
  ];
  for (const c of comparisons) log(`${c.case.padEnd(70)} ${c.libbpfApi.slice(0, 28).padEnd(28)} ${c.ratio.toFixed(2)}x ${c.note}`);
  return {
    name, title: 'Object load', goal: GOAL, config: { ...config, programs },
    figures: {
      nodeFirstMs: firstNode.map(ms), nodeFirstNoCodeCacheMs: firstNoCache.map(ms), nodeImportNoCodeCacheMs: s.nodeNoCache.map((x) => ms(x.import_ns)), libbpfFirstMs: firstC.map(ms), nodeWarmMs: warmNode.map(ms), libbpfWarmMs: warmC.map(ms),
      nodeImportMs: s.node.map((x) => ms(x.import_ns)), nodeProcessMs: s.nodeProc.map(ms), nodeBareProcessMs: s.nodeBare.map(ms), cProcessMs: s.cProc.map(ms), bpftoolProcessMs: s.bpftoolProc.map(ms),
      cliProcessMs: s.cliProc.map(ms),
    },
    comparisons,
  };
}

if (process.argv[1] === self) {
  const i = process.argv.indexOf('--child');
  runMain(i >= 0 ? child(process.argv[i + 1], Number(process.argv[i + 2])) : runStandalone(run));
}
