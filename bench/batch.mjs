// Benchmark 2: BPF_MAP_LOOKUP_BATCH over a 100k-entry HASH u32 -> u64 map,
// entries per second for one full walk, Node vs C bpf_map_lookup_batch(), the
// same number of entries per call on both sides. Node is measured with the
// typed API (BpfMap.lookupBatch(): [key, value][] decoded by the codecs) and
// with the raw chunk walker underneath it (lookupBatchChunks: key and value
// bytes as the kernel wrote them, which is what the C loop gets), and with
// the public raw walk BpfMap.lookupBatchRaw (chunk buffers reused for the
// whole walk, as C reuses its arrays). Both sides walk the same map, pinned
// for the C process: a HASH map's walk cost depends on its random hash seed
// and where its elements landed, which differ from map to map.
import { BpfMap, u32, u64 } from '@lockne/bpf';
import { lookupBatchChunks } from '../packages/bpf/dist/src/maps/batch.js';
import { runJson } from './lib/proc.mjs';
import { compare, pairedNote, row } from './lib/report.mjs';
import { timed } from './lib/stats.mjs';
import { PinDir } from './lib/pins.mjs';

export const name = 'batch-lookup';
const GOAL = 1.0;

function walkTyped(m, chunkSize) {
  return m.lookupBatch({ chunkSize }).length;
}

/** The public raw walk: buffers reused across chunks, as the C loop does; touches each chunk like C. */
function walkInto(m, chunkSize) {
  let sink = 0;
  const n = m.lookupBatchRaw((keys, values) => { sink += keys[0] + values[0]; }, { chunkSize });
  return sink >= 0 ? n : -1;
}

function walkRaw(m, chunkSize) {
  let n = 0;
  for (const c of lookupBatchChunks(m, 'MAP_LOOKUP_BATCH', { chunkSize })) n += c.count;
  return n;
}

export async function run({ bins, quick, log }) {
  const config = { entries: 100_000, chunk: 1024, reps: quick ? 3 : 15 };
  const m = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: config.entries, name: 'lk_bench_batch' });
  const pins = new PinDir();
  try {
    const entries = Array.from({ length: config.entries }, (_, i) => [i, BigInt(i) * 3n]);
    if (m.updateBatch(entries) !== config.entries) throw new Error('bench: batch fill was short');
    const mapPin = pins.pin(m, 'batch');
    // One untimed walk right before each timed one, as the C process does:
    // the map is as warm in the caches for Node as for C.
    const node = (walk) => () => {
      walk(m, config.chunk);
      const t = timed(() => walk(m, config.chunk));
      if (t.out !== config.entries) throw new Error(`bench: walk saw ${t.out} of ${config.entries} entries`);
      return { ns: t.ns, cpuNs: t.cpuNs };
    };
    const impls = {
      libbpf: () => {
        const r = runJson(bins.batch, [config.entries, config.chunk, mapPin]);
        return { ns: r.ns, cpuNs: r.cpu_ns };
      },
      typed: node(walkTyped),
      raw: node(walkRaw),
      into: node(walkInto),
    };
    impls.typed();
    impls.raw();
    impls.into();
    const samples = { libbpf: [], typed: [], raw: [], into: [] };
    const order = Object.keys(impls);
    for (let rep = 0; rep < config.reps; rep++) {
      for (let j = 0; j < order.length; j++) {
        const impl = order[(rep + j) % order.length];
        samples[impl].push(impls[impl]());
      }
    }
    const perSec = (xs) => xs.map((x) => (config.entries * 1e9) / x.ns);
    const cpuPerSec = (xs) => xs.map((x) => (config.entries * 1e9) / x.cpuNs);
    const figures = (xs) => ({ nsPerWalk: xs.map((x) => x.ns), cpuNsPerWalk: xs.map((x) => x.cpuNs) });
    const mk = (impl, label, api) => row(label, api, perSec(samples[impl]), figures(samples[impl]), cpuPerSec(samples[impl]));
    const rows = {
      libbpf: mk('libbpf', 'libbpf', 'bpf_map_lookup_batch()'),
      typed: mk('typed', 'node-typed', '`lookupBatch()` → [k, v][]'),
      raw: mk('raw', 'node-raw', 'raw chunks (`lookupBatchChunks`)'),
      into: mk('into', 'node-raw-reuse', '`lookupBatchRaw(onChunk)`, reused buffers'),
    };
    const label = `HASH ${config.entries / 1000}k entries, ${config.chunk} per call`;
    const comparisons = ['typed', 'raw', 'into'].map((impl) => compare(label, 'entries/s', rows.libbpf, rows[impl], GOAL, pairedNote(rows.libbpf, rows[impl])));
    for (const c of comparisons) log(`${c.nodeApi.padEnd(34)} ${c.ratio.toFixed(2)}x (cpu ${c.cpuRatio.toFixed(2)}x)`);
    return { name, title: 'Batch lookup', goal: GOAL, config, cases: [{ case: label, rows: Object.values(rows) }], comparisons };
  } finally {
    pins.remove();
    m.close();
  }
}
