// Tracing attach kinds against the real kernel: tracepoints (perf link and
// legacy ioctl), raw_tp (open and link), tp_btf, uprobes/uretprobes on a binary
// gcc builds here and on libc, perf_event sampling; and the kinds this kernel
// refuses (kprobe: no PMU; fentry/fexit/fmod_ret/LSM: EPERM at load).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assemble } from '@lockne/obj';
import {
  BpfMap, Program, NotSupportedError, ArgumentError, VerifierError, SyscallError, u32, u64,
  attachTracepoint, attachRawTracepoint, loadTpBtf, attachTpBtf, attachUprobe, attachPerfSampling,
  attachKprobe, loadTracing, attachTracing, uprobeOffset, PerfEventAttr, PerfAttrFlag, PerfIoc, PerfType,
  PerfSoftware, PerfFlag, onlineCpus, tracefsDir, type PerfEventLink, type TracingKind,
} from '../src/index.js';
import type { Fields } from '../src/sys/layout.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const CPUS = onlineCpus();
const haveCc = spawnSync('cc', ['--version']).status === 0;
const haveTaskset = spawnSync('taskset', ['-c', '0', '/bin/true']).status === 0;

// ---- program snippets ----

let labels = 0;
/** Add register `src` (r6..r9, survives calls) to u64 slot `slot` of ARRAY map `fd`. */
function addToSlot(fd: number, slot: number | 'cpu', src: string): string {
  const l = `skip${labels++}`;
  const key = slot === 'cpu' ? 'call bpf_get_smp_processor_id\n*(u32 *)(r10 - 4) = r0' : `*(u32 *)(r10 - 4) = ${slot}`;
  return `${key}
    r1 = map_fd(${fd}) ll
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto ${l}
    lock *(u64 *)(r0 + 0) += ${src}
  ${l}:`;
}

/** pids[tgid] = cpu + 1 (the CPU it ran on), and counts[cpu] += 1. */
function recordExec(pids: BpfMap<number, number>, counts: BpfMap<number, bigint>): string {
  return `
    call bpf_get_smp_processor_id
    r6 = r0
    r6 += 1
    *(u32 *)(r10 - 12) = r6
    call bpf_get_current_pid_tgid
    r0 >>= 32
    *(u32 *)(r10 - 8) = r0
    r1 = map_fd(${pids.fd}) ll
    r2 = r10
    r2 += -8
    r3 = r10
    r3 += -12
    r4 = 0
    call bpf_map_update_elem
    r7 = 1
    ${addToSlot(counts.fd, 'cpu', 'r7')}
    r0 = 0
    exit`;
}

interface ExecMaps {
  pids: BpfMap<number, number>;
  counts: BpfMap<number, bigint>;
  total(): bigint;
  close(): void;
}

function execMaps(): ExecMaps {
  const pids = BpfMap.create({ type: 'HASH', key: u32, value: u32, maxEntries: 4096, name: 'lk_pids' });
  const counts = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: Math.max(...CPUS) + 1, name: 'lk_counts' });
  return {
    pids, counts,
    total: () => [...counts.entries()].reduce((a, [, v]) => a + v, 0n),
    close: () => { pids.close(); counts.close(); },
  };
}

/** Run /bin/true pinned to `cpu` (when taskset exists); returns the pid that exec'd. */
function execOn(cpu: number): number {
  const r = haveTaskset ? spawnSync('taskset', ['-c', String(cpu), '/bin/true']) : spawnSync('/bin/true');
  assert.equal(r.status, 0);
  return r.pid!;
}

/** Exec on every CPU twice; assert each exec was seen, on the CPU it was pinned to. */
function assertExecsSeen(m: ExecMaps, label: string): void {
  const before = m.total();
  const runs: [number, number][] = [];
  for (let k = 0; k < 2; k++) for (const cpu of CPUS) runs.push([cpu, execOn(cpu)]);
  for (const [cpu, pid] of runs) {
    const seen = m.pids.get(pid);
    assert.ok(seen !== undefined, `${label}: exec of pid ${pid} not seen`);
    if (haveTaskset) assert.equal(seen, cpu + 1, `${label}: pid ${pid} pinned to CPU ${cpu} seen on CPU ${seen - 1}`);
  }
  // taskset itself execs too: at least one event per run.
  assert.ok(m.total() - before >= BigInt(runs.length), `${label}: ${m.total() - before} events for ${runs.length} execs`);
}

/** After detaching, execs are no longer counted. */
function assertDetached(m: ExecMaps, label: string): void {
  const before = m.total();
  execOn(CPUS[0]!);
  assert.equal(m.total(), before, `${label}: still counting after close`);
}

// ---- perf_event_attr against the header ----

test('perf_event_attr layout and PERF_* numbers match <linux/perf_event.h>', (t) => {
  if (skipUnless(t, haveCc && fs.existsSync('/usr/include/linux/perf_event.h') ? null : 'needs cc and linux/perf_event.h')) return;
  const checks: [string, string, number | bigint][] = [];
  for (const [name, f] of Object.entries(PerfEventAttr.fields as Fields)) {
    if (f.newerThanHeader) continue;
    // The bitfield word has no offsetof: it follows read_format.
    const member = name === 'flags' ? null : (name === 'uprobe_path' || name === 'kprobe_func') ? 'config1' : name === 'probe_offset' ? 'config2' : name;
    checks.push([`attr.${name}`, member ? `offsetof(struct perf_event_attr, ${member})` : 'offsetof(struct perf_event_attr, read_format) + 8', f.offset]);
  }
  // Debian 12's header stops at VER7 (128 bytes); config3 (VER8, 136) is newer.
  checks.push(['size VER7', 'PERF_ATTR_SIZE_VER7', PerfEventAttr.fields.config3.offset]);
  for (const [k, v] of Object.entries(PerfIoc)) checks.push([`ioc ${k}`, `(unsigned long)PERF_EVENT_IOC_${k}`, v]);
  for (const [k, v] of Object.entries(PerfType)) checks.push([`type ${k}`, `PERF_TYPE_${k}`, v]);
  for (const [k, v] of Object.entries(PerfSoftware)) checks.push([`sw ${k}`, `PERF_COUNT_SW_${k}`, v]);
  for (const [k, v] of Object.entries(PerfFlag)) checks.push([`flag ${k}`, `PERF_FLAG_${k}`, v]);
  // Bitfield positions: set one bit in a zeroed attr and find it in word 5.
  const bits = Object.entries(PerfAttrFlag).map(([k, v]) => [k, v] as const);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-perf-'));
  try {
    const src = path.join(dir, 'c.c');
    fs.writeFileSync(src, `#include <stdio.h>\n#include <stddef.h>\n#include <string.h>\n#include <linux/perf_event.h>\nint main(void) {\n${
      checks.map(([label, expr]) => `  printf("%s|%lu\\n", "${label}", (unsigned long)(${expr}));`).join('\n')}\n${
      bits.map(([k]) => `  { struct perf_event_attr a; memset(&a, 0, sizeof a); a.${k} = 1; unsigned long long w; memcpy(&w, (char *)&a + 40, 8); printf("bit ${k}|%llu\\n", w); }`).join('\n')}\n  return 0;\n}\n`);
    execFileSync('cc', ['-o', path.join(dir, 'c'), src]);
    const got = new Map(execFileSync(path.join(dir, 'c'), { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('|') as [string, string]));
    const wrong: string[] = [];
    for (const [label, , want] of checks) if (got.get(label) !== String(want)) wrong.push(`${label}: ours ${want}, header ${got.get(label)}`);
    for (const [k, v] of bits) if (got.get(`bit ${k}`) !== String(v)) wrong.push(`bit ${k}: ours ${v}, header ${got.get(`bit ${k}`)}`);
    assert.deepEqual(wrong, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- tracepoints ----

for (const mode of ['link', 'ioctl'] as const) {
  test(`tracepoint sched/sched_process_exec (${mode}): every exec counted, on every CPU`, (t) => {
    if (skipUnless(t, needRoot())) return;
    const m = execMaps();
    let prog: Program | undefined;
    let link: PerfEventLink | undefined;
    try {
      prog = Program.load({ type: 'TRACEPOINT', name: 'lk_tp_exec', instructions: assemble(recordExec(m.pids, m.counts)) });
      link = attachTracepoint(prog, 'sched', 'sched_process_exec', { mode });
      assert.equal(link.mode, mode);
      if (mode === 'link') assert.equal(link.link!.info().typeName, 'PERF_EVENT');
      // One perf event opened on CPU 0 sees execs pinned to every CPU.
      assertExecsSeen(m, `tracepoint/${mode}`);
      link.close();
      assertDetached(m, `tracepoint/${mode}`);
    } finally {
      link?.close();
      prog?.close();
      m.close();
    }
  });
}

test('tracepoint errors name the tracefs path or the bad argument', (t) => {
  if (skipUnless(t, needRoot())) return;
  const prog = Program.load({ type: 'TRACEPOINT', instructions: assemble('r0 = 0\nexit') });
  try {
    const file = `${tracefsDir()}/events/sched/lk_no_such_event/id`;
    assert.throws(() => attachTracepoint(prog, 'sched', 'lk_no_such_event'), (e: unknown) =>
      e instanceof NotSupportedError && e.message.includes(file) && /does not exist.*ENOENT/.test(e.message));
    assert.throws(() => attachTracepoint(prog, '../sched', 'x'), ArgumentError);
    // A cookie needs a bpf_link.
    assert.throws(() => attachTracepoint(prog, 'sched', 'sched_process_exec', { mode: 'ioctl', cookie: 1 }), /cookie needs mode 'link'/);
  } finally {
    prog.close();
  }
});

// ---- raw tracepoints and tp_btf ----

test('raw_tp sched_process_exec (BPF_RAW_TRACEPOINT_OPEN)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = execMaps();
  let prog: Program | undefined;
  try {
    prog = Program.load({ type: 'RAW_TRACEPOINT', name: 'lk_raw_exec', instructions: assemble(recordExec(m.pids, m.counts)) });
    const link = attachRawTracepoint(prog, 'sched_process_exec');
    try {
      assert.equal(link.info().typeName, 'RAW_TRACEPOINT');
      assertExecsSeen(m, 'raw_tp');
    } finally {
      link.close();
    }
    assertDetached(m, 'raw_tp');
    assert.throws(() => attachRawTracepoint(prog!, 'lk_no_such_tp'), (e: unknown) =>
      e instanceof NotSupportedError && /no raw tracepoint 'lk_no_such_tp'.*ENOENT/.test(e.message));
  } finally {
    prog?.close();
    m.close();
  }
});

for (const mode of ['open', 'link'] as const) {
  test(`tp_btf sched_process_exec (${mode})`, (t) => {
    if (skipUnless(t, needRoot())) return;
    const m = execMaps();
    let prog: Program | undefined;
    try {
      prog = loadTpBtf({ tracepoint: 'sched_process_exec', name: 'lk_tpbtf_exec', instructions: assemble(recordExec(m.pids, m.counts)) });
      assert.equal(prog.info().typeName, 'TRACING');
      const link = attachTpBtf(prog, { mode });
      try {
        assertExecsSeen(m, `tp_btf/${mode}`);
      } finally {
        link.close();
      }
      assertDetached(m, `tp_btf/${mode}`);
    } finally {
      prog?.close();
      m.close();
    }
  });
}

test('tp_btf on a tracepoint the kernel lacks: NotSupportedError naming the typedef', (t) => {
  if (skipUnless(t, needRoot())) return;
  assert.throws(() => loadTpBtf({ tracepoint: 'lk_no_such_tp', instructions: assemble('r0 = 0\nexit') }), (e: unknown) =>
    e instanceof NotSupportedError && /no TYPEDEF 'btf_trace_lk_no_such_tp' in kernel BTF/.test(e.message));
});

test('cookies reach bpf_get_attach_cookie: tracepoint (perf link), raw_tp, tp_btf', (t) => {
  if (skipUnless(t, needRoot())) return;
  const slot = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 1, name: 'lk_cookie' });
  // slot[0] = bpf_get_attach_cookie(ctx)
  const text = `
    call bpf_get_attach_cookie
    *(u64 *)(r10 - 16) = r0
    *(u32 *)(r10 - 4) = 0
    r1 = map_fd(${slot.fd}) ll
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_map_update_elem
    r0 = 0
    exit`;
  const cases: [string, () => Program, (p: Program, cookie: bigint) => { close(): void }][] = [
    ['tracepoint', () => Program.load({ type: 'TRACEPOINT', instructions: assemble(text) }), (p, c) => attachTracepoint(p, 'sched', 'sched_process_exec', { cookie: c })],
    ['raw_tp', () => Program.load({ type: 'RAW_TRACEPOINT', instructions: assemble(text) }), (p, c) => attachRawTracepoint(p, 'sched_process_exec', { cookie: c })],
    ['tp_btf/open', () => loadTpBtf({ tracepoint: 'sched_process_exec', instructions: assemble(text) }), (p, c) => attachTpBtf(p, { cookie: c })],
    ['tp_btf/link', () => loadTpBtf({ tracepoint: 'sched_process_exec', instructions: assemble(text) }), (p, c) => attachTpBtf(p, { mode: 'link', cookie: c })],
  ];
  try {
    let cookie = 0x1c0ffee00000000n;
    for (const [label, load, attach] of cases) {
      cookie += 1n;
      const prog = load();
      try {
        const link = attach(prog, cookie);
        try {
          execOn(CPUS[0]!);
        } finally {
          link.close();
        }
        assert.equal(slot.get(0), cookie, label);
      } finally {
        prog.close();
      }
    }
  } finally {
    slot.close();
  }
});

// ---- uprobes ----

const TARGET_C = `
#include <stdlib.h>
#include <unistd.h>
volatile long sink;
__attribute__((noinline)) int lockne_target(int x) { __asm__ volatile(""); return x * 3 + 1; }
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  for (int i = 0; i < n; i++) { sink += lockne_target(i); sink += getpid(); }
  return 0;
}
`;
let dir = '';
before(() => {
  if (!haveCc) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-uprobe-'));
  fs.writeFileSync(path.join(dir, 't.c'), TARGET_C);
  execFileSync('cc', ['-O2', '-o', path.join(dir, 'target'), path.join(dir, 't.c')]);
});
after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// Where the first argument and the return value sit in the KPROBE context (struct pt_regs).
const REGS = process.arch === 'x64' ? { arg0: 112, ret: 80 } : process.arch === 'arm64' ? { arg0: 0, ret: 0 } : undefined;

test('uprobe + uretprobe on a PIE function: exact call count, arguments and return values', (t) => {
  if (skipUnless(t, needRoot() ?? (haveCc ? null : 'needs cc to build the probed binary'))) return;
  const N = 37;
  const target = path.join(dir, 'target');
  // slots: 0 entry count, 1 sum of arg0, 2 return count, 3 sum of return values
  const slots = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 4, name: 'lk_uprobe' });
  const progs: Program[] = [];
  const links: PerfEventLink[] = [];
  try {
    const entry = Program.load({ type: 'KPROBE', name: 'lk_uprobe', instructions: assemble(`
      r6 = ${REGS ? `*(u32 *)(r1 + ${REGS.arg0})` : '0'}
      r7 = 1
      ${addToSlot(slots.fd, 0, 'r7')}
      ${addToSlot(slots.fd, 1, 'r6')}
      r0 = 0
      exit`) });
    progs.push(entry);
    const ret = Program.load({ type: 'KPROBE', name: 'lk_uretprobe', instructions: assemble(`
      r6 = ${REGS ? `*(u32 *)(r1 + ${REGS.ret})` : '0'}
      r7 = 1
      ${addToSlot(slots.fd, 2, 'r7')}
      ${addToSlot(slots.fd, 3, 'r6')}
      r0 = 0
      exit`) });
    progs.push(ret);
    links.push(attachUprobe(entry, { path: target, symbol: 'lockne_target' }));
    links.push(attachUprobe(ret, { path: target, symbol: 'lockne_target', retprobe: true, mode: 'ioctl' }));
    assert.equal(links[0]!.link!.info().typeName, 'PERF_EVENT');
    execFileSync(target, [String(N)]);
    assert.equal(slots.get(0), BigInt(N), 'uprobe hits');
    assert.equal(slots.get(2), BigInt(N), 'uretprobe hits');
    if (REGS) {
      assert.equal(slots.get(1), BigInt((N * (N - 1)) / 2), 'sum of arguments');
      assert.equal(slots.get(3), BigInt((3 * N * (N - 1)) / 2 + N), 'sum of return values');
    }
    // Detached: another run changes nothing.
    for (const l of links) l.close();
    execFileSync(target, ['5']);
    assert.equal(slots.get(0), BigInt(N));
    // A probe for one process only: the target runs in another, so no hits.
    links.push(attachUprobe(entry, { path: target, symbol: 'lockne_target', pid: process.pid }));
    execFileSync(target, ['5']);
    assert.equal(slots.get(0), BigInt(N), 'pid filter');
  } finally {
    for (const l of links) l.close();
    for (const p of progs) p.close();
    slots.close();
  }
});

test('uprobe on libc getpid, counted per process; bad symbols fail before any syscall', (t) => {
  if (skipUnless(t, needRoot() ?? (haveCc ? null : 'needs cc to build the probed binary'))) return;
  const libc = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).find((p) => p && /\/libc\.so\.6$/.test(p));
  if (skipUnless(t, libc ? null : 'node is not linked against glibc')) return;
  const target = path.join(dir, 'target');
  const perPid = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 1024, name: 'lk_getpid' });
  let prog: Program | undefined;
  let link: PerfEventLink | undefined;
  try {
    prog = Program.load({ type: 'KPROBE', name: 'lk_getpid', instructions: assemble(`
      call bpf_get_current_pid_tgid
      r0 >>= 32
      *(u32 *)(r10 - 4) = r0
      r1 = map_fd(${perPid.fd}) ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 != 0 goto have
      r1 = 0
      *(u64 *)(r10 - 16) = r1
      r1 = map_fd(${perPid.fd}) ll
      r2 = r10
      r2 += -4
      r3 = r10
      r3 += -16
      r4 = 0
      call bpf_map_update_elem
      r1 = map_fd(${perPid.fd}) ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto out
    have:
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
    out:
      r0 = 0
      exit`) });
    link = attachUprobe(prog, { path: libc!, symbol: 'getpid' });
    const r = spawnSync(target, ['25']);
    assert.equal(r.status, 0);
    // Other processes call getpid too; this one called it exactly 25 times.
    assert.equal(perPid.get(r.pid!), 25n);
    assert.ok(uprobeOffset(libc!, 'getpid') > 0);
    assert.throws(() => attachUprobe(prog!, { path: libc!, symbol: 'lk_no_such_function' }), /function 'lk_no_such_function' not found/);
    assert.throws(() => attachUprobe(prog!, { path: libc! }), ArgumentError);
  } finally {
    link?.close();
    prog?.close();
    perPid.close();
  }
});

// ---- perf_event sampling ----

for (const mode of ['link', 'ioctl'] as const) {
  test(`perf_event: CPU_CLOCK sampling on every CPU (${mode})`, (t) => {
    if (skipUnless(t, needRoot())) return;
    const counts = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: Math.max(...CPUS) + 1, name: 'lk_samples' });
    let prog: Program | undefined;
    try {
      prog = Program.load({ type: 'PERF_EVENT', name: 'lk_sample', instructions: assemble(`
        r7 = 1
        ${addToSlot(counts.fd, 'cpu', 'r7')}
        r0 = 0
        exit`) });
      // 1 ms period on the CPU clock: a ~200 ms busy loop yields on the order of 200 samples.
      const group = attachPerfSampling(prog, mode === 'link' ? { samplePeriod: 1_000_000, mode } : { frequency: 1000, mode });
      const total = (): bigint => [...counts.entries()].reduce((a, [, v]) => a + v, 0n);
      try {
        assert.equal(group.items.length, CPUS.length);
        const end = Date.now() + 200;
        while (Date.now() < end) { /* busy */ }
      } finally {
        group.close();
      }
      const seen = total();
      assert.ok(seen > 20n, `${seen} samples in 200 ms`);
      const spin = Date.now() + 50;
      while (Date.now() < spin) { /* busy */ }
      assert.equal(total(), seen, 'no samples after close');
    } finally {
      prog?.close();
      counts.close();
    }
  });
}

test('attachPerfSampling argument checks', (t) => {
  if (skipUnless(t, needRoot())) return;
  const prog = Program.load({ type: 'PERF_EVENT', instructions: assemble('r0 = 0\nexit') });
  try {
    assert.throws(() => attachPerfSampling(prog, {}), /exactly one of samplePeriod and frequency/);
    assert.throws(() => attachPerfSampling(prog, { frequency: 10, event: 'NOPE' as 'CPU_CLOCK' }), /unknown software event 'NOPE'/);
    // A CPU that does not exist: perf_event_open names itself and the event.
    assert.throws(() => attachPerfSampling(prog, { frequency: 10, cpus: [4096] }), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'perf_event_open' && /software event CPU_CLOCK on CPU 4096/.test(e.message));
  } finally {
    prog.close();
  }
});

// ---- refused here: kprobes (no PMU), trampolines (EPERM at load) ----

test('kprobe: a kernel without the kprobe PMU says so, naming the sysfs path', (t) => {
  if (skipUnless(t, needRoot())) return;
  const prog = Program.load({ type: 'KPROBE', name: 'lk_kprobe', instructions: assemble('r0 = 0\nexit') });
  try {
    if (!fs.existsSync('/sys/bus/event_source/devices/kprobe/type')) {
      for (const retprobe of [false, true]) {
        assert.throws(() => attachKprobe(prog, { symbol: 'do_unlinkat', retprobe }), (e: unknown) => {
          assert.ok(e instanceof NotSupportedError);
          assert.match(e.message, /kprobe PMU missing: \/sys\/bus\/event_source\/devices\/kprobe\/type: ENOENT/);
          return true;
        });
      }
      return;
    }
    // A kernel with kprobes: the attach works and detaches.
    attachKprobe(prog, { symbol: 'do_unlinkat' }).close();
  } finally {
    prog.close();
  }
});

const TRAMPOLINE: [TracingKind, string][] = [['fentry', 'do_unlinkat'], ['fexit', 'do_unlinkat'], ['fmod_ret', 'bpf_modify_return_test'], ['lsm', 'file_open']];

for (const [kind, target] of TRAMPOLINE) {
  test(`${kind} ${target}: the kernel's EPERM refusal is explained (or, where allowed, it counts calls)`, (t) => {
    if (skipUnless(t, needRoot())) return;
    const slots = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 1, name: 'lk_tramp' });
    let prog: Program | undefined;
    try {
      try {
        prog = loadTracing(kind, target, { name: `lk_${kind}`, instructions: assemble(`
          r7 = 1
          ${addToSlot(slots.fd, 0, 'r7')}
          r0 = 0
          exit`) });
      } catch (e) {
        // This kernel forbids trampolines (KERNEL-NOTES.md): EPERM before verification.
        assert.ok(e instanceof VerifierError, `expected VerifierError, got ${String(e)}`);
        assert.equal(e.code, 'EPERM');
        assert.equal(e.syscall, 'BPF_PROG_LOAD');
        assert.equal(e.log.trim(), '');
        assert.match(e.message, /BPF_PROG_LOAD failed: EPERM \(program 'lk_\w+'\)/);
        assert.match(e.message, /verifier log is empty \(the kernel refused before verification/);
        t.diagnostic(`refused: ${e.message.split('\n')[0]}`);
        return;
      }
      // A kernel with trampolines: the hook runs while attached.
      const link = attachTracing(prog, kind);
      try {
        const file = path.join(os.tmpdir(), `lk${process.pid}-${kind}`);
        fs.writeFileSync(file, 'x');
        fs.closeSync(fs.openSync(file, 'r'));
        fs.unlinkSync(file);
        if (kind !== 'fmod_ret') assert.ok(slots.get(0)! > 0n, `${kind} ${target} never ran`);
      } finally {
        link.close();
      }
    } finally {
      prog?.close();
      slots.close();
    }
  });
}

test('tracing targets missing from kernel BTF: NotSupportedError before any load', (t) => {
  if (skipUnless(t, needRoot())) return;
  assert.throws(() => loadTracing('fentry', 'lk_no_such_function', { instructions: assemble('r0 = 0\nexit') }), (e: unknown) =>
    e instanceof NotSupportedError && /fentry 'lk_no_such_function': no FUNC 'lk_no_such_function' in kernel BTF/.test(e.message));
  assert.throws(() => loadTracing('lsm', 'lk_no_hook', { instructions: assemble('r0 = 0\nexit') }), /no FUNC 'bpf_lsm_lk_no_hook'/);
});
