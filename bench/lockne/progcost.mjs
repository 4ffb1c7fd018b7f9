// What Lockne's programs cost, against an empty program of the same type
// (`r0 = 1; exit`):
//   - BPF_PROG_TEST_RUN of the deployed per-packet programs (countEgress,
//     countIngress): the test-run skb's socket is a fresh dummy one with no
//     socket-local storage, so the `sockets` lookup misses (the cost for
//     sockets Lockne does not route). cgroup_sock and cgroup_sock_addr programs have no
//     test run (ENOTSUPP), so sock_create/connect4/sendmsg4 are measured only
//     the second way:
//   - under real traffic of a routed app, with bpf stats on (BPF_ENABLE_STATS,
//     i.e. kernel.bpf_stats_enabled=1 for the duration):
//     run_time_ns / run_cnt of each deployed program and of an empty one
//     attached at the same cgroup and hook (after Lockne's, so it runs on the
//     very same packets and calls). Here countEgress/countIngress hit.
import fs from 'node:fs';
import { median, quantile, round } from '../lib/stats.mjs';

const LAYOUT = new URL('../../apps/lockne/dist/src/kernel/layout.js', import.meta.url).href;
const STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

/** Per-packet programs (judged: goal ≤ +15 ns) and per-socket ones (reported per call). */
export const PER_PACKET = [['countEgress', 'egress'], ['countIngress', 'ingress']];
export const PER_CALL = [['sockCreate', 'sock_create'], ['connect4', 'connect4'], ['sendmsg4', 'sendmsg4']];
export const GOAL_ADDED_NS = 15;

/** An Ethernet + IPv4 + TCP packet, 64 bytes (10.78.1.2:40000 → 10.77.0.1:9000, ACK). */
export function testPacket() {
  const p = new Uint8Array(64);
  p.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  p.set([0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 78, 1, 2, 10, 77, 0, 1], 14);
  p.set([0x9c, 0x40, 0x23, 0x28, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0], 34);
  return p;
}

/** An empty program for a cgroup hook: `r0 = 1; exit` (allow). */
export function emptyProgram(m, hook) {
  const h = m.bpf.CgroupHooks[hook];
  return m.bpf.Program.load({
    type: h.progType, expectedAttachType: h.attachType, name: `lkb_e_${hook}`.slice(0, 15),
    instructions: m.obj.assemble('r0 = 1\nexit'),
  });
}

/** The deployed program behind <pinDir>/link_<name> (the caller closes it). */
export async function deployedProgram(m, pinDir, name) {
  const { linkPin } = await import(LAYOUT);
  const link = m.bpf.openPinnedLink(linkPin(pinDir, name));
  try {
    return m.bpf.programById(link.info().progId);
  } finally {
    link.close(); // the pin keeps it attached
  }
}

/**
 * Test-run each deployed per-packet program and an empty one, `runs` times
 * each, alternating (the order flips every run), `repeat` repeats per call.
 */
export async function testRunCost(m, w, { repeat, runs, log }) {
  const data = testPacket();
  const out = [];
  for (const [name, hook] of PER_PACKET) {
    const lockne = await deployedProgram(m, w.world.pinDir, name);
    const empty = emptyProgram(m, hook);
    try {
      const sides = { lockne, empty };
      const ns = { lockne: [], empty: [] };
      const wall = { lockne: [], empty: [] };
      const retval = { lockne: lockne.testRun({ data }).retval, empty: empty.testRun({ data }).retval };
      for (const k of ['lockne', 'empty']) sides[k].testRun({ data, repeat }); // warm-up
      for (let r = 0; r < runs; r++) {
        for (const k of r % 2 ? ['empty', 'lockne'] : ['lockne', 'empty']) {
          const t0 = process.hrtime.bigint();
          ns[k].push(sides[k].testRun({ data, repeat }).durationNs);
          wall[k].push(round(Number(process.hrtime.bigint() - t0) / repeat, 2));
        }
      }
      const added = ns.lockne.map((x, i) => x - ns.empty[i]);
      const row = {
        program: name, hook, retval, repeat, runs,
        lockneNs: ns.lockne, emptyNs: ns.empty, lockneWallNs: wall.lockne, emptyWallNs: wall.empty,
        medianLockneNs: median(ns.lockne), medianEmptyNs: median(ns.empty),
        addedNs: round(median(ns.lockne) - median(ns.empty), 1),
        pairedAddedNs: { median: median(added), q1: quantile(added, 0.25), q3: quantile(added, 0.75) },
        addedWallNs: round(median(wall.lockne) - median(wall.empty), 2),
        goalNs: GOAL_ADDED_NS,
      };
      row.met = row.pairedAddedNs.median <= GOAL_ADDED_NS;
      out.push(row);
      log(`test run ${name.padEnd(12)} ${row.medianLockneNs} ns vs empty ${row.medianEmptyNs} ns: +${row.pairedAddedNs.median} ns (paired median; wall +${row.addedWallNs} ns)`);
    } finally {
      lockne.close();
      empty.close();
    }
  }
  return out;
}

/**
 * Turn on run_time_ns / run_cnt accounting. BPF_ENABLE_STATS holds it on for as
 * long as its fd is open — what `sysctl kernel.bpf_stats_enabled=1` does, but
 * released by the kernel even if this process is killed, and without
 * overwriting a value someone else set. Falls back to the sysctl (restored by
 * the returned function). The returned function is idempotent.
 */
export async function enableStats() {
  try {
    const { bpfRaw } = await import('../../packages/bpf/dist/src/sys/syscall.js');
    const { EnableStatsAttr } = await import('../../packages/bpf/dist/src/sys/attrs.js');
    const { encode } = await import('../../packages/bpf/dist/src/sys/layout.js');
    const { native } = await import('@lockne/bpf');
    const { ret } = bpfRaw('ENABLE_STATS', encode(EnableStatsAttr, { type: 0 /* BPF_STATS_RUN_TIME */ }));
    if (ret >= 0) {
      let open = true;
      return { how: 'BPF_ENABLE_STATS fd', restore: () => { if (open) { open = false; native.close(ret); } } };
    }
  } catch {
    // internal modules moved: use the sysctl
  }
  const before = fs.readFileSync(STATS_SYSCTL, 'utf8').trim();
  fs.writeFileSync(STATS_SYSCTL, '1');
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    fs.writeFileSync(STATS_SYSCTL, before);
  };
  process.once('exit', restore); // even if the cleanup never runs (uncaught error)
  return { how: `sysctl kernel.bpf_stats_enabled=1 (was ${before})`, restore };
}

function counters(m, prog) {
  const i = m.bpf.programInfoByFd(prog.fd);
  return { id: i.id, runTimeNs: i.runTimeNs, runCount: i.runCount };
}

/**
 * Run `workload` (routed traffic) with bpf stats on and empty programs
 * attached next to Lockne's; per program: runs and ns per run in that window.
 */
export async function statsCost(m, w, { workload, log }) {
  const { CGROUP_PROGRAMS } = await import(LAYOUT);
  const progs = new Map();
  const empties = new Map();
  const links = [];
  const stats = await enableStats();
  w.cleanup.add('bpf stats', stats.restore);
  try {
    for (const [name, hook] of CGROUP_PROGRAMS) progs.set(name, { hook, prog: await deployedProgram(m, w.world.pinDir, name) });
    for (const [, hook] of [...PER_PACKET, ...PER_CALL]) {
      const p = emptyProgram(m, hook);
      empties.set(hook, p);
      links.push(m.bpf.attachCgroup(p, w.world.scope, hook));
    }
    const before = new Map([...progs].map(([n, x]) => [n, counters(m, x.prog)]));
    const beforeEmpty = new Map([...empties].map(([h, p]) => [h, counters(m, p)]));
    const t0 = Date.now();
    const traffic = await workload();
    const seconds = (Date.now() - t0) / 1000;
    const delta = (a, b) => {
      const runs = Number(b.runCount - a.runCount);
      const ns = Number(b.runTimeNs - a.runTimeNs);
      return { runs, totalNs: ns, nsPerRun: runs ? round(ns / runs, 1) : null };
    };
    const programs = [...progs].map(([name, x]) => ({ program: name, hook: x.hook, id: before.get(name).id, ...delta(before.get(name), counters(m, x.prog)) }));
    const rows = [...PER_PACKET, ...PER_CALL].map(([name, hook]) => {
      const lockne = programs.find((p) => p.program === name);
      const empty = delta(beforeEmpty.get(hook), counters(m, empties.get(hook)));
      const added = lockne.nsPerRun !== null && empty.nsPerRun !== null ? round(lockne.nsPerRun - empty.nsPerRun, 1) : null;
      const perPacket = PER_PACKET.some(([n]) => n === name);
      const row = { program: name, hook, perPacket, lockne, empty, addedNs: added, goalNs: perPacket ? GOAL_ADDED_NS : null, met: perPacket ? added !== null && added <= GOAL_ADDED_NS : null };
      log(`bpf_stats ${name.padEnd(12)} ${lockne.nsPerRun} ns/run (${lockne.runs} runs) vs empty ${empty.nsPerRun} ns/run (${empty.runs} runs): ${added === null ? 'n/a' : `${added >= 0 ? '+' : ''}${added} ns`}`);
      return row;
    });
    for (const r of rows) {
      if (!r.lockne.runs || !r.empty.runs) throw new Error(`bench lockne: no runs counted for ${r.program} / the empty ${r.hook} program (stats ${stats.how}): the workload did not reach the hook`);
    }
    return { statsEnabledBy: stats.how, seconds: round(seconds, 1), traffic, rows, programs };
  } finally {
    for (const l of links) l.close();
    for (const p of empties.values()) p.close();
    for (const x of progs.values()) x.prog.close();
    stats.restore();
  }
}
