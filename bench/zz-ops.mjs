import { BpfMap, u32, u64 } from '@lockne/bpf';
const N = 10000;
const m = BpfMap.create({ type: process.argv[2] ?? 'HASH', key: u32, value: u64, maxEntries: N, name: 'lkzz' });
for (let k = 0; k < N; k++) m.set(k, BigInt(k));
const key = new Uint8Array(4), out = new Uint8Array(8);
const kv = new DataView(key.buffer);
function typed(n) { let k = 0, h = 0; for (let i = 0; i < n; i++) { if (m.get(k) !== undefined) h++; if (++k === N) k = 0; } return h; }
function raw(n) { let k = 0, h = 0; for (let i = 0; i < n; i++) { kv.setUint32(0, k, true); if (m.getBytes(key) !== undefined) h++; if (++k === N) k = 0; } return h; }
function into(n) { let k = 0, h = 0; for (let i = 0; i < n; i++) { kv.setUint32(0, k, true); if (m.getInto(key, out)) h++; if (++k === N) k = 0; } return h; }
const fns = { typed, raw, into };
const order = process.argv[3]?.split(',') ?? ['typed', 'raw', 'into'];
for (let r = 0; r < 3; r++) for (const f of order) { const t = process.hrtime.bigint(); const h = fns[f](200000); const ns = Number(process.hrtime.bigint() - t) / 200000; console.log(r, f, ns.toFixed(0), 'ns/op', h); }
m.close();
