// `npm run demo`: a short tour of the runtime until the Lockne app exists.
import { BpfMap, Program, u32, u64 } from './index.js';

const prog = Program.load({
  type: 'SCHED_CLS',
  name: 'demo_ret7',
  instructions: [
    { code: 0xb7, dst: 0, src: 0, off: 0, imm: 7 },
    { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ],
});
const run = prog.testRun({ data: new Uint8Array(64), repeat: 100000 });
console.log(`loaded ${prog.info().name} (tag ${prog.info().tag}); test-run retval=${run.retval}, ${run.durationNs} ns/run`);
prog.close();

const map = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 4, name: 'demo' });
map.set(1, 2n ** 60n);
console.log(`map '${map.name}' id ${map.info().id}: 1 -> ${map.get(1)}`);
map.close();
