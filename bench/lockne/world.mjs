// The world bench/lockne measures in: the test topology of apps/lockne (client
// and server namespaces, one wireguard-go tunnel 'vpn'), Lockne deployed in
// the client namespace on a scope cgroup of its own, and, for the baselines,
// a sibling cgroup (`lkb<pid>-base`, same parent, so the same inherited cgroup
// programs) where the SO_MARK app, microsocks and the proxychains app run.
// Every name starts with lkb<pid>; close() (also on Ctrl-C / SIGTERM) removes
// it all, and a later run sweeps what a killed one left (sweepStale below).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LOCKNE_DIST = new URL('../../apps/lockne/dist/src/', import.meta.url);
const PREFIX_RE = /^lkb(\d+)$/;
/** The traffic helper's port in the server namespace (ours alone). */
export const SERVER_PORT = 9000;
const SOCKS_PORT = 1080;
/** Priority of the source rule that sends microsocks' outgoing connections into the tunnel's table. */
const SOCKS_RULE_PRIORITY = 31000;

/** apps/lockne (built) and @lockne/bpf modules, imported when the benchmark runs, not when run.mjs loads. */
export async function loadModules() {
  const need = async (rel) => {
    try {
      return await import(new URL(rel, LOCKNE_DIST).href);
    } catch (e) {
      throw new Error(`bench lockne: cannot import apps/lockne/dist/src/${rel} (build first: npm run build): ${e.message}`);
    }
  };
  return {
    topology: await need('topology/index.js'),
    world: await need('demo/world.js'),
    state: await need('deploy/state.js'),
    cgroups: await need('deploy/cgroups.js'),
    bpf: await import('@lockne/bpf'),
    obj: await import('@lockne/obj'),
  };
}

/** Cleanup steps, run in reverse order once; every failure is collected, none stops the others. */
export class Cleanup {
  #steps = [];
  #ran = null;
  add(what, fn) {
    this.#steps.push({ what, fn });
  }
  run() {
    this.#ran ??= (async () => {
      const errors = [];
      for (const { what, fn } of this.#steps.reverse()) {
        try {
          await fn();
        } catch (e) {
          errors.push(`${what}: ${e instanceof Error ? e.message : e}`);
        }
      }
      return errors;
    })();
    return this.#ran;
  }
}

/** Ctrl-C / SIGTERM: clean up, then exit (130 / 143). Returns the function that unregisters. */
export function cleanupOnSignal(cleanup, log) {
  const on = (sig) => {
    log(`${sig}: cleaning up…`);
    cleanup.run().then((errors) => {
      for (const e of errors) console.error(`bench lockne: cleanup: ${e}`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return () => {
    process.removeListener('SIGINT', on);
    process.removeListener('SIGTERM', on);
  };
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Leftovers of a killed run (lkb<pid> with that pid gone): namespaces,
 * wireguard-go and services (the topology's own sweep), then the
 * deployment's pins (links before maps), cgroups, state file and temp dir.
 * Routing rules lived in the deleted client namespace: nothing else is left.
 */
export async function sweepStale(m) {
  const report = await m.topology.sweepStale(PREFIX_RE);
  const stale = (name) => {
    const x = PREFIX_RE.exec(name);
    return x !== null && Number(x[1]) !== process.pid && !pidAlive(Number(x[1]));
  };
  const pins = [];
  for (const d of fs.readdirSync('/sys/fs/bpf').filter(stale)) {
    const dir = path.join('/sys/fs/bpf', d);
    const names = fs.readdirSync(dir).sort((a, b) => Number(b.startsWith('link_')) - Number(a.startsWith('link_')));
    for (const n of names) m.bpf.unpin(path.join(dir, n));
    fs.rmdirSync(dir);
    pins.push(dir);
  }
  const root = m.bpf.cgroup2Root();
  const cgroups = [];
  for (const d of fs.readdirSync(root, { withFileTypes: true })) {
    const x = /^(lkb\d+)-(scope|base)$/.exec(d.name);
    if (!d.isDirectory() || !x || !stale(x[1])) continue;
    m.cgroups.removeCgroupMovingOut(path.join(root, d.name), root);
    cgroups.push(d.name);
  }
  let states = [];
  try {
    states = fs.readdirSync('/run/lockne').filter((f) => f.endsWith('.json') && stale(f.slice(0, -5)));
  } catch {
    // no deployment ever ran
  }
  for (const f of states) fs.rmSync(path.join('/run/lockne', f), { force: true });
  // LockneWorld's temp dir (config, proxychains.conf): <tmpdir>/lkb<pid>-XXXXXX.
  const temps = [];
  for (const d of fs.readdirSync(os.tmpdir())) {
    const x = /^(lkb\d+)-[A-Za-z0-9]{6}$/.exec(d);
    if (!x || !stale(x[1])) continue;
    fs.rmSync(path.join(os.tmpdir(), d), { recursive: true, force: true });
    temps.push(d);
  }
  return { ...report, pins, cgroups, states, temps };
}

/** Run argv to completion; the JSON object on its last stdout line (throws with stderr when it fails). */
export async function runJson(m, argv, timeoutMs = 60_000) {
  const r = await m.topology.tryRunAsync(argv, { timeoutMs });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    throw new Error(`bench lockne: \`${argv.join(' ')}\` exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`);
  }
  return JSON.parse(line);
}

/**
 * Build the world (`cpu`: the CPU every app is pinned to, or null). On failure everything made so far is removed before the
 * error is rethrown; on success the caller owns `world.cleanup`.
 *
 * @example
 *   const w = await buildWorld(m, { bin, log });
 *   try { await runJson(m, w.variants.lockne(['rr', w.server, '9000', '100', '64'])); } finally { await w.cleanup.run(); }
 */
export async function buildWorld(m, { bin, log, cpu = null }) {
  const name = `lkb${process.pid}`;
  const cleanup = new Cleanup();
  const unhook = cleanupOnSignal(cleanup, log);
  cleanup.add('signal handlers', unhook);
  try {
    const swept = await sweepStale(m);
    const n = Object.values(swept).reduce((a, x) => a + x.length, 0);
    if (n) log(`swept leftovers of killed runs: ${JSON.stringify(swept)}`);

    const topo = await m.topology.createTopology({ prefix: name, tunnels: ['vpn'], ipv6: false });
    cleanup.add(`topology ${name}`, () => topo.close());
    const world = new m.world.LockneWorld(topo, name, [{ name: 'vpn', tunnel: 'vpn' }]);
    cleanup.add(`lockne down + scope cgroup of ${name}`, () => world.close());
    const cgRoot = m.bpf.cgroup2Root();
    const base = m.cgroups.ensureCgroup(path.join(cgRoot, `${name}-base`));
    cleanup.add(`cgroup ${base}`, () => m.cgroups.removeCgroupMovingOut(base, cgRoot));

    const upRun = await world.lockne(['up']);
    if (upRun.status !== 0) throw new Error(`bench lockne: lockne up failed: ${upRun.stderr || upRun.stdout}`);
    const state = m.state.readState(m.state.stateFileFor(world.pinDir));
    const profile = state?.profiles.find((p) => p.name === 'vpn');
    if (!profile) throw new Error(`bench lockne: no profile 'vpn' in ${m.state.stateFileFor(world.pinDir)} after lockne up`);
    const tunnel = topo.tunnel('vpn');
    const server = topo.direct.server.v4;

    // The traffic helper's server, in the server namespace.
    const srv = spawn('nsenter', [`--net=${topo.server.path}`, '--', bin, 'server', String(SERVER_PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.add(`lkb_net server (pid ${srv.pid})`, () => killChild(srv));
    await waitForLine(srv, 'ready', 5000, 'lkb_net server');

    const inBase = (argv) => m.topology.inNetnsArgv(topo.client.name, ['sh', '-c', `echo $$ > ${base}/cgroup.procs && exec "$@"`, 'sh', ...argv]);
    // SOCKS: microsocks binds its outgoing sockets to the tunnel's address; a source rule
    // (as for any app bound to a tunnel address) sends them through the tunnel's table.
    topo.client.exec(['ip', 'rule', 'add', 'from', tunnel.client.v4, 'lookup', String(profile.table), 'priority', String(SOCKS_RULE_PRIORITY)]);
    const socks = topo.spawnInClient(['sh', '-c', `echo $$ > ${base}/cgroup.procs && exec "$@"`, 'sh',
      'microsocks', '-i', '127.0.0.1', '-p', String(SOCKS_PORT), '-b', tunnel.client.v4], { stdio: 'ignore' });
    const conf = path.join(world.dir, 'proxychains.conf');
    fs.writeFileSync(conf, ['strict_chain', 'quiet_mode', 'tcp_read_time_out 15000', 'tcp_connect_time_out 8000', '[ProxyList]', `socks5 127.0.0.1 ${SOCKS_PORT}`, ''].join('\n'));

    // Every app on the same CPU: where the scheduler happens to place each client
    // process (next to wireguard-go's threads or not) otherwise biases one
    // variant against another by several per cent for a whole run.
    const pin = cpu === null ? [] : ['taskset', '-c', String(cpu)];
    const variants = {
      /** Routed by Lockne: `lockne run --profile vpn` (the app is in the profile's cgroup). */
      lockne: (argv) => world.lockneArgv(['run', '--profile', 'vpn', '--user', 'root', '--', ...pin, bin, ...argv]),
      /** Marked by hand: SO_MARK = the profile's mark on each socket; Lockne's rules route it, none of its programs run. */
      somark: (argv) => inBase([...pin, bin, '-m', String(profile.mark), ...argv]),
      /** Through microsocks (bound to the tunnel) via proxychains4. */
      socks: (argv) => inBase([...pin, 'proxychains4', '-q', '-f', conf, bin, ...argv]),
    };
    const w = { name, topo, world, base, cleanup, profile, tunnel, server, port: String(SERVER_PORT), bin, variants, socksPid: socks.pid, inBase, m };
    await m.topology.pollUntil('microsocks to accept connections', 5000, async () => {
      const r = await m.topology.tryRunAsync(variants.socks(['rr', server, w.port, '1', '8']), { timeoutMs: 3000 });
      return r.status === 0 ? true : undefined;
    }, 100);
    return w;
  } catch (e) {
    const errors = await cleanup.run();
    if (errors.length) e.message += `\n(cleanup after the failure: ${errors.join('; ')})`;
    throw e;
  }
}

/** Tunnel bytes so far on the client side: { rx, tx } from `wg show IF transfer`. */
export function tunnelBytes(w) {
  const out = w.topo.client.exec(['wg', 'show', w.tunnel.clientIf, 'transfer']);
  const [, rx, tx] = out.trim().split(/\s+/);
  return { rx: Number(rx), tx: Number(tx) };
}

function waitForLine(child, text, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`bench lockne: ${what} did not print '${text}' within ${timeoutMs} ms: ${err.trim()}`)), timeoutMs);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench lockne: ${what} exited ${code} before printing '${text}': ${err.trim()}`));
    });
  });
}

/** SIGTERM by pid, SIGKILL after 2 s; resolves once it exited. */
export function killChild(child) {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 2000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      clearTimeout(t);
      resolve();
    }
  });
}
