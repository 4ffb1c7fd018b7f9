// container guard: cgroup connect4 / bind4 / bind6 / sock_create / sysctl /
// device hooks with a rule list in pinned maps, so rules can be changed while
// the guard stays attached.
//   sudo node examples/container-guard/main.mjs attach /sys/fs/cgroup/mybox   # load, attach, pin
//   sudo node examples/container-guard/main.mjs deny port 22                  # connect and bind
//   sudo node examples/container-guard/main.mjs deny addr 10.0.0.2
//   sudo node examples/container-guard/main.mjs deny dev 1:5                  # major:minor (1:1, 1:2, 1:4 from the start)
//   sudo node examples/container-guard/main.mjs allow port 22
//   sudo node examples/container-guard/main.mjs list
//   sudo node examples/container-guard/main.mjs detach
// Every command takes --pin DIR (default /sys/fs/bpf/lockne-guard).
import fs from 'node:fs';
import path from 'node:path';
import { pin, unpin, openPinnedMap, ensureBpffs, u8, u32, u64 } from '@lockne/bpf';
import { loadFile, isMain } from '../lib/load.mjs';

export const DEFAULT_PIN_DIR = '/sys/fs/bpf/lockne-guard';
const MAPS = ['deniedPorts', 'deniedAddrs', 'deniedDevices', 'denials'];
const LINKS = {
  guardConnect: 'link-connect4', guardBind4: 'link-bind4', guardBind6: 'link-bind6', guardSocket: 'link-sock_create',
  guardSysctl: 'link-sysctl', guardDevices: 'link-dev',
};
/** Denied from the start: /dev/mem, /dev/kmem, /dev/port. */
export const DEFAULT_DENIED_DEVICES = ['1:1', '1:2', '1:4'];

/** Load, attach to `cgroup` (a path) and pin links + maps under `dir`. */
export function attachGuard(cgroup, dir = DEFAULT_PIN_DIR) {
  if (fs.existsSync(dir)) throw new Error(`${dir} exists: detach the running guard first`);
  ensureBpffs(path.dirname(dir));
  const obj = loadFile(new URL('./container-guard.bpf.ts', import.meta.url));
  const links = [];
  try {
    fs.mkdirSync(dir);
    for (const [prog, file] of Object.entries(LINKS)) {
      const link = obj.program(prog).attach({ cgroup });
      links.push(link);
      pin(link, path.join(dir, file));
    }
    for (const d of DEFAULT_DENIED_DEVICES) obj.map('deniedDevices').set(parseRule('dev', d)[1], 1);
    for (const m of MAPS) pin(obj.map(m), path.join(dir, m));
  } catch (e) {
    detachGuard(dir);
    throw e;
  } finally {
    for (const l of links) l.close(); // pinned: stays attached
    obj.close();
  }
}

/** Unpin everything under `dir` (the links detach when their pins go) and remove it. */
export function detachGuard(dir = DEFAULT_PIN_DIR) {
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir)) unpin(path.join(dir, f));
  fs.rmdirSync(dir);
}

/** `port 22` → ['deniedPorts', 22]; `addr 10.0.0.2` → ['deniedAddrs', 0x0a000002]; `dev 1:1` → ['deniedDevices', 1n << 32n | 1n]. */
export function parseRule(kind, value) {
  if (kind === 'port') {
    const p = Number(value);
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`bad port '${value}'`);
    return ['deniedPorts', p];
  }
  if (kind === 'addr') {
    const parts = String(value).split('.').map(Number);
    if (parts.length !== 4 || parts.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`bad IPv4 address '${value}'`);
    return ['deniedAddrs', ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0];
  }
  if (kind === 'dev') {
    const m = /^(\d+):(\d+)$/.exec(String(value));
    const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [-1, -1];
    if (!(major >= 0 && major <= 0xfff && minor >= 0 && minor <= 0xfffff)) throw new Error(`bad device '${value}' (major:minor)`);
    return ['deniedDevices', (BigInt(major) << 32n) | BigInt(minor)];
  }
  throw new Error(`rule kind must be 'port', 'addr' or 'dev', got '${kind}'`);
}

function withMap(dir, name, value, fn) {
  const m = openPinnedMap(path.join(dir, name), { key: name === 'deniedDevices' ? u64 : u32, value });
  try {
    return fn(m);
  } finally {
    m.close();
  }
}

/** Add (deny) or remove (allow) a rule of the attached guard. */
export function setRule(dir, deny, kind, value) {
  const [map, key] = parseRule(kind, value);
  withMap(dir, map, u8, (m) => (deny ? m.set(key, 1) : m.delete(key)));
}

/** { ports: [...], addrs: ['a.b.c.d', ...], devices: ['1:1', ...], connectsDenied, rawSocketsDenied, bindsDenied, sysctlWritesDenied, devicesDenied } */
export function listRules(dir = DEFAULT_PIN_DIR) {
  const ports = withMap(dir, 'deniedPorts', u8, (m) => [...m.keys()].sort((a, b) => a - b));
  const addrs = withMap(dir, 'deniedAddrs', u8, (m) => [...m.keys()].map((a) => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.')));
  const devices = withMap(dir, 'deniedDevices', u8, (m) => [...m.keys()].sort((a, b) => (a < b ? -1 : 1)).map((k) => `${k >> 32n}:${k & 0xffffffffn}`));
  const [connectsDenied, rawSocketsDenied, bindsDenied, sysctlWritesDenied, devicesDenied] =
    withMap(dir, 'denials', u64, (m) => [0, 1, 2, 3, 4].map((i) => m.get(i) ?? 0n));
  return { ports, addrs, devices, connectsDenied, rawSocketsDenied, bindsDenied, sysctlWritesDenied, devicesDenied };
}

if (isMain(import.meta)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--pin');
  const dir = at >= 0 ? args.splice(at, 2)[1] : DEFAULT_PIN_DIR;
  const [cmd, a, b] = args;
  try {
    if (cmd === 'attach' && a) {
      attachGuard(a, dir);
      console.log(`guarding ${a} (pins in ${dir})`);
    } else if ((cmd === 'deny' || cmd === 'allow') && a && b) {
      setRule(dir, cmd === 'deny', a, b);
      console.log(`${cmd} ${a} ${b}`);
    } else if (cmd === 'list') {
      console.log(listRules(dir));
    } else if (cmd === 'detach') {
      detachGuard(dir);
      console.log(`detached (${dir} removed)`);
    } else {
      console.error('usage: main.mjs attach CGROUP | deny|allow port N | deny|allow addr A.B.C.D | deny|allow dev MAJOR:MINOR | list | detach  [--pin DIR]');
      process.exitCode = 2;
    }
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exitCode = 1;
  }
}
