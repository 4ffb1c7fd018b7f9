// cgroupSysctl and cgroupDevice programs attached to a test cgroup, with a
// child process in it doing the file operations: a sysctl guard that refuses
// writes under /proc/sys/net/ (reads and other writes pass) and records the
// name (full and base), the new and the current value of the last write it
// saw; a device guard that refuses mknod and one major:minor and records the
// access it saw. Outside the cgroup nothing is refused. Plus the context rules
// the compiler checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BpfObject, createCgroup, removeCgroup } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const CHILD = fileURLToPath(new URL('./support/cgroup-ops-child.js', import.meta.url));
const HEAD = `import { cgroupSysctl, cgroupDevice, CgroupVerdict, SysctlName, DeviceType, DeviceAccess, ArrayMap, HashMap, struct, array, u8, u32, u64, i64, type Infer, type FixedArray } from '@lockne/kernel';\n`;

function load(src: string): BpfObject {
  const r = compile('/virtual/cgroup-kinds.bpf.ts', { source: HEAD + src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return BpfObject.load(r.object!, { requireBtf: true });
}

type Result = { op: string; result: string; value?: string };
/** Run the child with `ops`, inside cgroup `cg` when given; its results in order. */
function child(cg: string | undefined, ops: string[]): Result[] {
  const argv = cg ? ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, process.execPath, CHILD, ...ops] : [process.execPath, CHILD, ...ops];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Result);
}

const cstr = (b: number[]): string => Buffer.from(b.slice(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0))).toString();

const SYSCTL = `
export const Seen = struct('sysctl_seen', { name: array(u8, 64), base: array(u8, 32), newValue: array(u8, 16), current: array(u8, 16), nameLen: i64, newLen: i64, reads: u32, writes: u32, denied: u32 });
export const seen = new ArrayMap<Infer<typeof Seen>>({ maxEntries: 1, value: Seen });
export const Prefix = struct('prefix', { bytes: array(u8, 8) });

export const guardSysctl = cgroupSysctl((ctx) => {
  const s = seen.lookup(0);
  if (s === null) return CgroupVerdict.ALLOW;
  if (ctx.write === 0) { s.value.reads += 1; return CgroupVerdict.ALLOW; }
  s.value.writes += 1;
  s.value.nameLen = ctx.getName(s.value.name);
  ctx.getName(s.value.base, SysctlName.BASE);
  s.value.newLen = ctx.getNewValue(s.value.newValue);
  ctx.getCurrentValue(s.value.current);
  // A stack buffer works too: 8 bytes hold "net/ipv" (truncated, -E2BIG).
  const p: Infer<typeof Prefix> = { bytes: [0, 0, 0, 0, 0, 0, 0, 0] as FixedArray<u8, 8> };
  ctx.getName(p.bytes);
  if (p.bytes[0] === 0x6e && p.bytes[1] === 0x65 && p.bytes[2] === 0x74 && p.bytes[3] === 0x2f) {
    s.value.denied += 1;
    return CgroupVerdict.REJECT;
  }
  return CgroupVerdict.ALLOW;
});
`;

test('cgroupSysctl: writes under /proc/sys/net/ get EPERM in the cgroup, reads and other writes pass; name, base name, new and current value read back', (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, fs.existsSync(CHILD) ? null : `${CHILD} not built`)) return;
  const obj = load(SYSCTL);
  const cg = createCgroup(`lk${process.pid}sysctl`);
  try {
    assert.equal(obj.program('guardSysctl').def.section, 'cgroup/sysctl');
    const link = obj.program('guardSysctl').attach({ cgroup: cg });
    try {
      const got = child(cg, ['read', '/proc/sys/net/ipv4/ip_forward', 'write', '/proc/sys/net/ipv4/ip_forward', 'write', '/proc/sys/kernel/domainname']);
      assert.deepEqual(got.map((g) => `${g.op} ${g.result}`), ['read ok', 'write EPERM', 'write ok']);
      const s = obj.map<number, { name: number[]; base: number[]; newValue: number[]; current: number[]; nameLen: bigint; newLen: bigint; reads: number; writes: number; denied: number }>('seen').get(0)!;
      const domain = fs.readFileSync('/proc/sys/kernel/domainname', 'utf8');
      assert.equal(cstr(s.name), 'kernel/domainname');
      assert.equal(s.nameLen, BigInt('kernel/domainname'.length));
      assert.equal(cstr(s.base), 'domainname', 'SysctlName.BASE gives the last component');
      assert.ok(domain.length < 16, `domainname '${domain}' fits the 16-byte buffers`);
      assert.equal(cstr(s.newValue), domain, 'the text being written');
      assert.equal(s.newLen, BigInt(domain.length));
      assert.equal(cstr(s.current), domain, 'the value before the write');
      assert.equal(s.writes, 2);
      assert.equal(s.denied, 1);
      assert.ok(s.reads >= 2, `reads counted (${s.reads}; the write path reads the old value too)`);
      assert.deepEqual(child(undefined, ['write', '/proc/sys/net/ipv4/ip_forward']).map((g) => g.result), ['ok'], 'outside the cgroup the write passes');
    } finally {
      link.close();
    }
    assert.deepEqual(child(cg, ['write', '/proc/sys/net/ipv4/ip_forward']).map((g) => g.result), ['ok'], 'detached: nothing refused');
  } finally {
    obj.close();
    removeCgroup(cg);
  }
});

const DEVICE = `
export const Seen = struct('dev_seen', { type: u32, access: u32, calls: u32 });
/** (major << 32 | minor) → what was asked of that device: its type, the access bits (ORed), how often. */
export const seen = new HashMap<u64, Infer<typeof Seen>>({ maxEntries: 64, key: u64, value: Seen });
export const guardDevices = cgroupDevice((ctx) => {
  const key = (u64(ctx.major) << 32n) | u64(ctx.minor);
  const s = seen.lookup(key);
  if (s === null) seen.update(key, { type: ctx.accessType & 0xffff, access: ctx.accessType >> 16, calls: 1 });
  else { s.value.access |= ctx.accessType >> 16; s.value.calls += 1; }
  if ((ctx.accessType >> 16) & DeviceAccess.MKNOD) return CgroupVerdict.REJECT;
  if ((ctx.accessType & 0xffff) === DeviceType.CHAR && ctx.major === 1 && ctx.minor === 5) return CgroupVerdict.REJECT; // /dev/zero
  return CgroupVerdict.ALLOW;
});
`;

test('cgroupDevice: in the cgroup mknod and char 1:5 (/dev/zero) get EPERM, /dev/null opens; the program sees type, access, major:minor', (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, fs.existsSync(CHILD) ? null : `${CHILD} not built`)) return;
  const obj = load(DEVICE);
  const cg = createCgroup(`lk${process.pid}dev`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lkdev'));
  try {
    assert.equal(obj.program('guardDevices').def.section, 'cgroup/dev');
    const link = obj.program('guardDevices').attach({ cgroup: cg });
    const seen = (major: number, minor: number): { type: number; access: number; calls: number } | undefined =>
      obj.map<bigint, { type: number; access: number; calls: number }>('seen').get((BigInt(major) << 32n) | BigInt(minor));
    try {
      assert.deepEqual(child(cg, ['open', '/dev/null', 'w']).map((g) => g.result), ['ok']);
      const null1 = seen(1, 3);
      assert.equal(null1?.type, 2, 'DeviceType.CHAR');
      assert.ok(null1 && (null1.access & 4) !== 0 && (null1.access & 1) === 0, 'WRITE seen, no MKNOD yet');
      assert.deepEqual(child(cg, ['open', '/dev/zero', 'r', 'mknod', path.join(tmp, 'null'), '1', '3']).map((g) => g.result), ['EPERM', 'EPERM']);
      assert.equal(seen(1, 5)?.access, 2, '/dev/zero asked for READ only');
      assert.ok((seen(1, 3)!.access & 1) !== 0, 'mknod c 1 3 seen as MKNOD');
      assert.equal(fs.existsSync(path.join(tmp, 'null')), false);
      assert.deepEqual(child(undefined, ['open', '/dev/zero', 'r', 'mknod', path.join(tmp, 'null'), '1', '3']).map((g) => g.result), ['ok', 'ok'], 'outside the cgroup nothing is refused');
    } finally {
      link.close();
    }
  } finally {
    obj.close();
    removeCgroup(cg);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('cgroupSysctl/cgroupDevice: context rules (write is read-only, filePos writable, device ctx read-only, sysctl helpers only there)', () => {
  const codes = (src: string): string[] => compileSource(HEAD + src).diagnostics.map((d) => d.code);
  assert.deepEqual(codes('export const p = cgroupSysctl((ctx) => { ctx.filePos = 0; return CgroupVerdict.ALLOW; });'), []);
  assert.ok(codes('export const p = cgroupSysctl((ctx) => { ctx.write = 0; return CgroupVerdict.ALLOW; });').some((c) => c === 'LK3006' || c === 'TS2540'));
  assert.ok(codes('export const p = cgroupDevice((ctx) => { ctx.major = 1; return CgroupVerdict.ALLOW; });').some((c) => c === 'LK3006' || c === 'TS2540'));
  assert.ok(codes('export const p = cgroupDevice((ctx) => ctx.mark === 0 ? CgroupVerdict.ALLOW : CgroupVerdict.REJECT);').length > 0);
  const withBuf = 'export const B = struct(\'b\', { s: array(u8, 4) });\nexport const m = new ArrayMap<Infer<typeof B>>({ maxEntries: 1, value: B });\n';
  assert.ok(codes(withBuf + 'export const p = cgroupDevice((ctx) => { const b = m.lookup(0); if (b !== null) ctx.getName(b.value.s); return CgroupVerdict.ALLOW; });').length > 0, 'getName is a sysctl method');
  assert.deepEqual(codes(withBuf + 'export const p = cgroupSysctl((ctx) => { const b = m.lookup(0); if (b !== null) ctx.getName(b.value.s, SysctlName.BASE); return CgroupVerdict.ALLOW; });'), []);
  assert.ok(codes('export const p = cgroupSysctl((ctx) => { ctx.getName(ctx.write); return CgroupVerdict.ALLOW; });').length > 0, 'the buffer must be a byte array');
  const m = compileSource(HEAD + 'export const p = cgroupDevice((ctx) => ctx.major === 1 ? CgroupVerdict.REJECT : CgroupVerdict.ALLOW);');
  assert.deepEqual(m.diagnostics, []);
  assert.equal(m.programs[0]!.section, 'cgroup/dev');
  assert.equal(m.programs[0]!.progType, 'CGROUP_DEVICE');
});
