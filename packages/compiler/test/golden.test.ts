// Golden disassembly snapshots of three small programs (regenerate with
// LOCKNE_UPDATE_GOLDEN=1), plus instruction counts for the lead's notes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatAsm } from '../src/index.js';
import { compileOk } from './support/run.js';

const GOLDEN = fileURLToPath(new URL('../../test/golden/', import.meta.url));
const HEAD = `import { xdp, tc, XdpAction, TcAction, type XdpContext, type TcContext, HashMap, u32, u64 } from '@lockne/kernel';\n`;

const PROGRAMS: Record<string, string> = {
  count: HEAD + `export const counts = new HashMap<u32, u64>({ maxEntries: 1024 });
export const countPackets = xdp((ctx: XdpContext): XdpAction => {
  const key: u32 = u32(ctx.ingressIfindex);
  const v = counts.lookup(key);
  if (v !== null) { v.value += 1n; } else { counts.update(key, 1n); }
  return XdpAction.PASS;
});
`,
  loop: HEAD + `export const sum = xdp((ctx: XdpContext): XdpAction => {
  let s: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) { if (i === ctx.rxQueueIndex) continue; s += i; }
  return s > 20 ? XdpAction.PASS : XdpAction.DROP;
});
`,
  mark: HEAD + `export const big = tc((ctx: TcContext): TcAction => {
  const len = ctx.len;
  if (len > 1000 && ctx.protocol !== 0) return TcAction.SHOT;
  return TcAction.OK;
});
`,
};

for (const [name, src] of Object.entries(PROGRAMS)) {
  test(`golden disassembly: ${name}`, () => {
    const m = compileOk(src);
    const asm = m.programs.map((p) => formatAsm(p)).join('\n\n') + '\n';
    const file = `${GOLDEN}${name}.asm`;
    if (process.env.LOCKNE_UPDATE_GOLDEN === '1' || !fs.existsSync(file)) fs.writeFileSync(file, asm);
    assert.equal(asm, fs.readFileSync(file, 'utf8'));
    console.log(`${name}: ${m.programs[0]!.instructions.length} instructions`);
  });
}
