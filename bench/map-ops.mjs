// Benchmark 1: single map operations from Node vs C/libbpf.
// HASH lookup (every key hits), HASH update, ARRAY lookup, on u32 -> u64 maps
// of 10k keys, cycling over the keys. Node is measured through the typed API
// (BpfMap.get/set with the u32/u64 codecs), the raw-bytes path
// (getBytes/setBytes with one preallocated key buffer and one value buffer,
// rewritten in place each op as the C loop rewrites its stack variables;
// getBytes returns a new array per hit) and, for lookups, getInto(key, out),
// which writes into the caller's buffer as bpf_map_lookup_elem() does. The C
// side (c/map_ops.c) is one process per repetition, run in the same round as
// the Node repetitions; the order rotates every round.
// A fourth, reference-only row times the bare native call the map API ends
// in (a native.boundBpf function on a fixed attr area, no BpfMap, no codecs): the ceiling
// any JavaScript API on this binding can reach.
import { BpfMap, BpfCmd, native, u32, u64 } from '@lockne/bpf';
import { MapElemAttr } from '../packages/bpf/dist/src/sys/attrs.js';
import { runJson } from './lib/proc.mjs';
import { compare, pairedNote, row } from './lib/report.mjs';
import { timed } from './lib/stats.mjs';

export const name = 'map-ops';
const GOAL = 0.8;

const CASES = [
  { op: 'hash_lookup', type: 'HASH', update: false, label: 'HASH lookup (hit)' },
  { op: 'hash_update', type: 'HASH', update: true, label: 'HASH update' },
  { op: 'array_lookup', type: 'ARRAY', update: false, label: 'ARRAY lookup' },
];

function typedLoop(m, update, keys, n) {
  let k = 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    if (update) m.set(k, BigInt(i));
    else if (m.get(k) !== undefined) hits++;
    if (++k === keys) k = 0;
  }
  if (!update && hits !== n) throw new Error(`bench: typed lookup hit ${hits} of ${n}`);
}

function rawLoop(m, update, keys, key, value, n) {
  const kv = new DataView(key.buffer, key.byteOffset, 4);
  const vv = new DataView(value.buffer, value.byteOffset, 8);
  let k = 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    kv.setUint32(0, k, true);
    if (update) {
      vv.setUint32(0, i, true);
      m.setBytes(key, value);
    } else if (m.getBytes(key) !== undefined) hits++;
    if (++k === keys) k = 0;
  }
  if (!update && hits !== n) throw new Error(`bench: raw lookup hit ${hits} of ${n}`);
}

function intoLoop(m, keys, key, value, n) {
  const kv = new DataView(key.buffer, key.byteOffset, 4);
  let k = 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    kv.setUint32(0, k, true);
    if (m.getInto(key, value)) hits++;
    if (++k === keys) k = 0;
  }
  if (hits !== n) throw new Error(`bench: getInto lookup hit ${hits} of ${n}`);
}

/**
 * The bare binding: MapElemAttr laid out once in an off-heap area, key and
 * value after it, the attr's pointers aimed at them once (native.addressOf),
 * a native function bound to the area (native.boundBpf), then one call per
 * op with no argument: the call the map API ends in.
 */
function floorLoop(m, update, keys, n) {
  const area = new Uint8Array(new ArrayBuffer(128));
  const v = new DataView(area.buffer);
  const f = MapElemAttr.fields;
  const base = native.addressOf(area);
  const CMD = MapElemAttr.size;
  v.setUint32(f.map_fd.offset, m.fd, true); // flags stay 0
  v.setBigUint64(f.key.offset, base + 64n, true);
  v.setBigUint64(f.value.offset, base + 96n, true);
  v.setInt32(CMD, update ? BpfCmd.MAP_UPDATE_ELEM : BpfCmd.MAP_LOOKUP_ELEM, true);
  const call = native.boundBpf(area, MapElemAttr.size, CMD);
  let k = 0;
  for (let i = 0; i < n; i++) {
    v.setUint32(64, k, true);
    if (update) v.setUint32(96, i, true);
    const ret = call();
    if (ret < 0) throw new Error(`bench: native boundBpf call failed: ${ret}`);
    if (++k === keys) k = 0;
  }
}

/**
 * Wall and CPU ns per op of one timed run of `fn(n)`, right after `warmup`
 * untimed ops, as each C process does: the map's memory is as warm in the
 * caches for Node as for C.
 */
function timeNode(fn, n, warmup) {
  fn(warmup);
  const t = timed(() => fn(n));
  return { ns: t.ns / n, cpuNs: t.cpuNs / n };
}

export async function run({ bins, quick, log }) {
  const config = { keys: 10_000, opsPerRep: quick ? 100_000 : 150_000, reps: quick ? 3 : 15, warmupOps: 25_000 };
  const cases = [];
  const comparisons = [];
  for (const c of CASES) {
    const m = BpfMap.create({ type: c.type, key: u32, value: u64, maxEntries: config.keys, name: 'lk_bench_node' });
    try {
      for (let k = 0; k < config.keys; k++) m.set(k, BigInt(k));
      const key = new Uint8Array(4);
      const value = new Uint8Array(8);
      const impls = {
        libbpf: () => {
          const r = runJson(bins.map_ops, [c.op, config.keys, config.opsPerRep, config.warmupOps]);
          return { ns: r.ns / r.ops, cpuNs: r.cpu_ns / r.ops };
        },
        typed: () => timeNode((n) => typedLoop(m, c.update, config.keys, n), config.opsPerRep, config.warmupOps),
        raw: () => timeNode((n) => rawLoop(m, c.update, config.keys, key, value, n), config.opsPerRep, config.warmupOps),
        ...(c.update ? {} : { into: () => timeNode((n) => intoLoop(m, config.keys, key, value, n), config.opsPerRep, config.warmupOps) }),
        floor: () => timeNode((n) => floorLoop(m, c.update, config.keys, n), config.opsPerRep, config.warmupOps),
      };
      // Warm the JIT on the Node loops before any timing.
      const nodeImpls = Object.keys(impls).filter((k) => k !== 'libbpf');
      for (const impl of nodeImpls) impls[impl]();
      const samples = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
      const order = Object.keys(impls);
      for (let rep = 0; rep < config.reps; rep++) {
        for (let j = 0; j < order.length; j++) {
          const impl = order[(rep + j) % order.length];
          samples[impl].push(impls[impl]());
        }
      }
      const perSec = (xs) => xs.map((x) => 1e9 / x.ns);
      const cpuPerSec = (xs) => xs.map((x) => 1e9 / x.cpuNs);
      const figures = (xs) => ({ nsPerOp: xs.map((x) => Math.round(x.ns)), cpuNsPerOp: xs.map((x) => Math.round(x.cpuNs)) });
      const api = c.update
        ? { libbpf: 'bpf_map_update_elem()', typed: '`set(k, v)`', raw: '`setBytes(key, value)`, preallocated buffers' }
        : { libbpf: 'bpf_map_lookup_elem()', typed: '`get(k)`', raw: '`getBytes(key)`, preallocated key', into: '`getInto(key, out)`, preallocated key and value' };
      const rows = {
        libbpf: row('libbpf', api.libbpf, perSec(samples.libbpf), figures(samples.libbpf), cpuPerSec(samples.libbpf)),
        typed: row('node-typed', api.typed, perSec(samples.typed), figures(samples.typed), cpuPerSec(samples.typed)),
        raw: row('node-raw', api.raw, perSec(samples.raw), figures(samples.raw), cpuPerSec(samples.raw)),
        ...(samples.into ? { into: row('node-into', api.into, perSec(samples.into), figures(samples.into), cpuPerSec(samples.into)) } : {}),
        floor: row('node-native-floor', 'bare `native.boundBpf()` call (reference)', perSec(samples.floor), figures(samples.floor), cpuPerSec(samples.floor)),
      };
      cases.push({ case: c.label, op: c.op, rows: Object.values(rows) });
      for (const impl of nodeImpls) {
        const cmp = compare(c.label, 'ops/s', rows.libbpf, rows[impl], impl === 'floor' ? null : GOAL, pairedNote(rows.libbpf, rows[impl]));
        comparisons.push(cmp);
        log(`${c.label.padEnd(18)} ${rows[impl].impl.padEnd(10)} ${cmp.ratio.toFixed(2)}x (cpu ${cmp.cpuRatio.toFixed(2)}x)  libbpf ${(1e9 / rows.libbpf.medianPerSecond).toFixed(0)} ns/op, node ${(1e9 / rows[impl].medianPerSecond).toFixed(0)} ns/op`);
      }
    } finally {
      m.close();
    }
  }
  return { name, title: 'Map single ops', goal: GOAL, config, cases, comparisons };
}
