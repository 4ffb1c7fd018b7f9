// What `lockne run` adds before an app starts (a reference figure, no goal):
// exec → /bin/true has run → exit through `lockne run --profile vpn --user root`,
// against /bin/true started directly in the same client namespace and base
// cgroup (nsenter and a shell, as the other variants start). Alternating, so
// both see the same machine; the difference is what a user waits for on each
// launch: Node's start-up, the CLI's import, reading the deployment's state,
// moving the child into the profile's cgroup.
import { spawnSync } from 'node:child_process';
import { median, round } from '../lib/stats.mjs';

/** Milliseconds from spawn to exit of `argv` (throws with its output when it fails). */
function timeRun(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error || r.status !== 0) throw new Error(`bench lockne: \`${argv.join(' ')}\` exited ${r.status ?? r.error?.message}: ${(r.stderr || r.stdout || '').trim()}`);
  return ms;
}

export async function launchCost(w, { runs, log }) {
  const direct = w.inBase(['/bin/true']);
  // As a user types it: the deployment found by its pin dir, no config file read.
  const routed = w.m.topology.inNetnsArgv(w.topo.client.name, [process.execPath, w.m.world.CLI, '--pin-dir', w.world.pinDir, 'run', '--profile', 'vpn', '--user', 'root', '--', '/bin/true']);
  // One untimed round: page cache and the kernel's BTF as warm for both.
  timeRun(routed);
  timeRun(direct);
  const lockneMs = [];
  const directMs = [];
  for (let i = 0; i < runs; i++) {
    lockneMs.push(round(timeRun(routed), 2));
    directMs.push(round(timeRun(direct), 2));
  }
  const out = { runs, lockneMs, directMs, medianLockneMs: round(median(lockneMs), 1), medianDirectMs: round(median(directMs), 1) };
  out.addedMs = round(out.medianLockneMs - out.medianDirectMs, 1);
  log(`lockne run launch: ${out.medianLockneMs} ms against ${out.medianDirectMs} ms direct (+${out.addedMs} ms), ${runs} runs each`);
  return out;
}
