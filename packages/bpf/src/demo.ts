// `npm run demo`: a short, honest tour of @lockne/bpf on the running kernel.
// It probes the kernel, loads a packet/byte counter, attaches it to a cgroup it
// creates, sends a few datagrams over loopback from that cgroup and shows the
// count live, lists the objects the way bpftool does, reads the counters back
// through a bpffs pin, and removes everything it made. Needs root.
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { assemble, disassemble } from '@lockne/obj';
import {
  BpfMap, Link, Program, cgroupOf, createCgroup, enterCgroup, ensureBpffs, listLinks, listMaps, listPrograms,
  openCgroup, openPinnedMap, pin, probeAll, removeCgroup, unpin, u32, u64,
} from './index.js';
import { formatLink, formatMap, formatProgram } from './cli/format.js';
import { dumpMap, formatDump } from './cli/commands/map-dump.js';

const say = (s = '') => process.stdout.write(`${s}\n`);
const indent = (s: string) => s.split('\n').map((l) => `    ${l}`).join('\n');

/** Count packets in slot 0 and bytes (skb->len) in slot 1; let every packet pass. */
const counterAsm = (mapFd: number) => `
  r6 = r1                       // the __sk_buff
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = map_fd(${mapFd}) ll
  call bpf_map_lookup_elem      // &counts[0]
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
  r1 = 1
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = map_fd(${mapFd}) ll
  call bpf_map_lookup_elem      // &counts[1]
  if r0 == 0 goto out
  r1 = *(u32 *)(r6 + 0)         // skb->len
  lock *(u64 *)(r0 + 0) += r1
out:
  r0 = 1                        // allow
  exit`;

async function tour(): Promise<void> {
  say(`lockne-bpf demo on Linux ${os.release()}\n`);

  const table = probeAll();
  const unsupported = Object.entries(table.programTypes).filter(([, r]) => r.status !== 'supported').map(([n]) => n.toLowerCase());
  const supported = Object.values(table.programTypes).filter((r) => r.status === 'supported').length;
  say(`1. probe: ${supported} program types supported; refused: ${unsupported.join(', ') || 'none'}`);
  say(`   (tracing: ${table.programTypes.TRACING?.reason ?? '?'})\n`);

  const counts = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 2, name: 'lk_demo_counts' });
  const cg = createCgroup(`lk${process.pid}demo`);
  const pinPath = `/sys/fs/bpf/lk${process.pid}_demo_counts`;
  let prog: Program | undefined;
  let link: Link | undefined;
  let cgFd = -1;
  const sockets: dgram.Socket[] = [];
  try {
    prog = Program.load({ type: 'CGROUP_SKB', name: 'lk_demo_count', expectedAttachType: 'CGROUP_INET_EGRESS', instructions: assemble(counterAsm(counts.fd)) });
    const lines = disassemble(assemble(counterAsm(counts.fd)));
    say(`2. loaded a ${lines.length}-line CGROUP_SKB counter (first lines: ${lines.slice(0, 3).join('; ')} ...)`);
    cgFd = openCgroup(cg);
    link = Link.create(prog, cgFd, 'CGROUP_INET_EGRESS');
    say(`3. attached it to cgroup ${cg} (egress) with BPF_LINK_CREATE\n`);

    // Sockets remember the cgroup they were created in: make the sender inside it.
    const rx = dgram.createSocket('udp4');
    sockets.push(rx);
    rx.bind(0, '127.0.0.1');
    await once(rx, 'listening');
    const home = cgroupOf('self');
    enterCgroup(cg);
    const tx = dgram.createSocket('udp4');
    sockets.push(tx);
    try {
      tx.bind(0, '127.0.0.1');
      await once(tx, 'listening');
    } finally {
      enterCgroup(home);
    }
    say('4. sending datagrams over loopback from a socket in that cgroup:');
    for (let i = 1; i <= 5; i++) {
      const payload = Buffer.from('x'.repeat(10 * i));
      await new Promise<void>((res, rej) => tx.send(payload, rx.address().port, '127.0.0.1', (e) => (e ? rej(e) : res())));
      await sleep(150);
      // On a terminal the line updates in place; piped, each update is a line.
      const line = `   sent ${i} (${payload.length} B payload) -> counted ${counts.get(0)} packets, ${counts.get(1)} bytes (IP+UDP headers included)`;
      process.stdout.write(process.stdout.isTTY ? `\r${line}` : `${line}\n`);
    }
    say(process.stdout.isTTY ? '\n' : '');

    const pid = prog.info().id;
    const mid = counts.info().id;
    const lid = link.info().id;
    say('5. the same objects as the kernel lists them (lockne-bpf prog/map/link list, like bpftool):');
    for (const p of listPrograms().filter((x) => x.id === pid)) say(indent(formatProgram(p)));
    for (const m of listMaps().filter((x) => x.id === mid)) say(indent(formatMap(m)));
    for (const l of listLinks().filter((x) => x.id === lid)) say(indent(formatLink(l)));
    say();

    ensureBpffs();
    pin(counts, pinPath);
    const viaPin = openPinnedMap(pinPath);
    try {
      say(`6. pinned the map at ${pinPath}; dumped through the pin (lockne-bpf map dump ${pinPath}):`);
      say(indent(formatDump(dumpMap(viaPin))));
    } finally {
      viaPin.close();
    }
    say();

    const run = prog.testRun({ data: new Uint8Array(64), repeat: 100_000 });
    say(`7. BPF_PROG_TEST_RUN of the same program: retval ${run.retval}, ${run.durationNs} ns/run over 100000 runs`);
    say(`   (that bumped the counters too: now ${counts.get(0)} packets)\n`);
  } finally {
    for (const s of sockets) s.close();
    link?.close();
    const id = prog?.info().id;
    prog?.close();
    if (cgFd >= 0) fs.closeSync(cgFd);
    removeCgroup(cg);
    if (fs.existsSync(pinPath)) unpin(pinPath);
    counts.close();
    for (let i = 0; i < 50 && id !== undefined && listPrograms().some((p) => p.id === id); i++) await sleep(20);
    say(`8. cleaned up: link closed, cgroup and pin removed; program ${id ?? '?'} ${listPrograms().some((p) => p.id === id) ? 'still being freed' : 'gone from the kernel'}.`);
  }
}

if (process.getuid?.() !== 0) {
  process.stderr.write('lockne demo: needs root (bpf(2), cgroups and bpffs)\n');
  process.exitCode = 1;
} else {
  try {
    await tour();
  } catch (e) {
    process.stderr.write(`lockne demo: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
