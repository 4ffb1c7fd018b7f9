// XDP IP blocklist firewall, rules in a pinned LPM trie so they change live.
//   sudo node examples/xdp-firewall/main.mjs attach IFNAME [--netns NS]   # load, attach, pin
//   sudo node examples/xdp-firewall/main.mjs block 10.0.0.2               # a /32, or a prefix: 10.1.0.0/16
//   sudo node examples/xdp-firewall/main.mjs unblock 10.0.0.2
//   sudo node examples/xdp-firewall/main.mjs list                         # prefix → packets dropped
//   sudo node examples/xdp-firewall/main.mjs detach
// Every command takes --pin DIR (default /sys/fs/bpf/lockne-firewall).
import fs from 'node:fs';
import path from 'node:path';
import { pin, unpin, openPinnedMap, ensureBpffs, ipv4Prefix, u64 } from '@lockne/bpf';
import { loadFile, isMain } from '../lib/load.mjs';

export const DEFAULT_PIN_DIR = '/sys/fs/bpf/lockne-firewall';

/** Load, attach XDP to `ifname` (in network namespace `netns`, if given), pin link + map under `dir`. */
export function attachFirewall(ifname, netns, dir = DEFAULT_PIN_DIR) {
  if (fs.existsSync(dir)) throw new Error(`${dir} exists: detach the running firewall first`);
  ensureBpffs(path.dirname(dir));
  const obj = loadFile(new URL('./xdp-firewall.bpf.ts', import.meta.url));
  let link;
  try {
    fs.mkdirSync(dir);
    link = obj.program('firewall').attach({ ifname, ...(netns ? { netns } : {}) });
    pin(link, path.join(dir, 'link'));
    pin(obj.map('blocked'), path.join(dir, 'blocked'));
  } catch (e) {
    detachFirewall(dir);
    throw e;
  } finally {
    link?.close(); // pinned: stays attached
    obj.close();
  }
}

/** Unpin the link (detaching XDP) and the map, remove `dir`. */
export function detachFirewall(dir = DEFAULT_PIN_DIR) {
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir)) unpin(path.join(dir, f));
  fs.rmdirSync(dir);
}

/** '10.0.0.2' → '10.0.0.2/32'; prefixes pass through (the codec validates them). */
export function prefixOf(arg) {
  if (typeof arg !== 'string' || arg === '') throw new Error('an IPv4 address or prefix is required');
  return arg.includes('/') ? arg : `${arg}/32`;
}

function withRules(dir, fn) {
  const m = openPinnedMap(path.join(dir, 'blocked'), { key: ipv4Prefix, value: u64 });
  try {
    return fn(m);
  } finally {
    m.close();
  }
}

export function block(dir, arg) { withRules(dir, (m) => m.set(prefixOf(arg), 0n)); }
export function unblock(dir, arg) {
  const p = prefixOf(arg);
  if (!withRules(dir, (m) => m.delete(p))) throw new Error(`${p} is not blocked`);
}
/** { 'prefix': packets dropped } */
export function listBlocked(dir = DEFAULT_PIN_DIR) {
  return withRules(dir, (m) => Object.fromEntries(m.entries()));
}

if (isMain(import.meta)) {
  const args = process.argv.slice(2);
  const take = (flag) => { const i = args.indexOf(flag); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
  const dir = take('--pin') ?? DEFAULT_PIN_DIR;
  const netns = take('--netns');
  const [cmd, a] = args;
  try {
    if (cmd === 'attach' && a) { attachFirewall(a, netns, dir); console.log(`firewall on ${a}${netns ? ` (netns ${netns})` : ''}, pins in ${dir}`); }
    else if (cmd === 'block') { block(dir, a); console.log(`blocked ${prefixOf(a)}`); }
    else if (cmd === 'unblock') { unblock(dir, a); console.log(`unblocked ${prefixOf(a)}`); }
    else if (cmd === 'list') console.log(listBlocked(dir));
    else if (cmd === 'detach') { detachFirewall(dir); console.log(`detached (${dir} removed)`); }
    else { console.error('usage: main.mjs attach IFNAME [--netns NS] | block ADDR[/N] | unblock ADDR[/N] | list | detach  [--pin DIR]'); process.exitCode = 2; }
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exitCode = 1;
  }
}
