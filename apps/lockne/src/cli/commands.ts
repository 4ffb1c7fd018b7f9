// Subcommands of `lockne`. Only what `run` needs is imported up front; each
// other command imports its modules when it runs (they load @lockne/bpf, the
// kernel object's layouts and the map codecs: ~40 ms that `lockne run`, the
// command a user waits on before every app, does not pay).
import { Command, Option } from 'commander';
import { runApp } from '../apps/run.js';
import { targetUser } from '../apps/users.js';
import { configFor, configModule, maybeState, pinDirFor, requireState, type GlobalOptions } from './context.js';
import { profileByName, readState, stateFileFor, type LockneState } from '../deploy/state.js';
import type { LockneConfig } from '../config/types.js';

const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;
const json = (v: unknown): string => JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2);

/** The deployment `run --via IFACE` uses: the running one (plus an ad-hoc profile if needed), or a new one. */
async function stateWithVia(g: GlobalOptions, via: string, dns: { dns4?: string; dns6?: string }): Promise<{ state: LockneState; profile: string }> {
  // Checks the flags (errors name --via / --dns) and gives the default settings when there is no config.
  const adHoc = (await configModule()).adHocConfig({ via, dns: [dns.dns4, dns.dns6].filter((d): d is string => d !== undefined) });
  let state = await maybeState(g);
  if (!state) {
    const cfg = (await configFor(g)) ?? { settings: { ...adHoc.settings, pinDir: await pinDirFor(g) }, profiles: [] };
    state = await upFrom(cfg);
  }
  const existing = state.profiles.find((p) => p.via === via);
  if (existing) return { state, profile: existing.name };
  const [{ up }, { adHocProfile, specFromState }] = await Promise.all([import('../deploy/up.js'), import('../deploy/adhoc.js')]);
  const spec = specFromState(state);
  const p = adHocProfile(spec, via, dns);
  const adHocNames = new Set([...state.profiles.filter((x) => x.adHoc).map((x) => x.name), p.name]);
  const r = up({ ...spec, profiles: [...spec.profiles, p] }, adHocNames);
  return { state: r.state, profile: p.name };
}

/** `lockne up` of `cfg`: the deployment's state. */
async function upFrom(cfg: LockneConfig): Promise<LockneState> {
  const { up } = await import('../deploy/up.js');
  return up(cfg).state;
}

export function addCommands(program: Command): void {
  program.command('up')
    .description('load, pin and attach everything and set up routing for the config\'s profiles (idempotent)')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const cfg = await configFor(g);
      if (!cfg) throw new Error('no config: write /etc/lockne/config.toml or pass --config FILE (or use `lockne run --via IFACE -- CMD`)');
      const { up } = await import('../deploy/up.js');
      const r = up(cfg);
      for (const n of r.notes) process.stderr.write(`lockne: note: ${n}\n`);
      process.stdout.write(`lockne: ${r.action === 'fresh' ? 'up' : 'up (already loaded; profiles reconciled)'}: ${r.state.profiles.map((p) => `${p.name} → ${p.via}`).join(', ') || 'no profiles'}\n`);
    });

  program.command('down')
    .description('remove every program, link, pin, cgroup and rule Lockne made (idempotent)')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const pinDir = await pinDirFor(g);
      // With no state file (a second `down`, an `up` killed before writing it) the config says where the
      // profile cgroups are: guessing the cgroup root would take the config's scope (<name>-scope) for one.
      let scope: string | undefined;
      try { scope = readState(stateFileFor(pinDir))?.scope; } catch { /* corrupt: down removes it */ }
      scope ??= g.config ? (await configFor(g))?.settings.cgroup : undefined;
      const { down } = await import('../deploy/down.js');
      const r = down({ pinDir, ...(scope ? { scope } : {}) });
      process.stdout.write(`lockne: down: removed ${r.pins} pins, ${r.rules} rules, ${r.routes} routes, ${r.cgroups} cgroups\n`);
    });

  program.command('run')
    .description('start CMD with its sockets routed by a profile (children included), as the invoking user')
    .addOption(new Option('-p, --profile <name>', 'profile from the config'))
    .addOption(new Option('--via <iface>', 'route through this tunnel interface (no config needed)').conflicts('profile'))
    .addOption(new Option('--dns <addr...>', 'with --via: DNS server(s) for the app, reached through the tunnel'))
    .addOption(new Option('-u, --user <name>', 'run CMD as this user (default: the sudo caller)'))
    .addOption(new Option('-d, --detach', 'return once CMD started (it keeps running, routed)'))
    .argument('<cmd...>', 'command and arguments (put them after --)')
    .passThroughOptions()
    .action(async (argv: string[], o: { profile?: string; via?: string; dns?: string[]; user?: string; detach?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      if (!o.profile && !o.via) throw new Error('run: give --profile NAME or --via IFACE');
      const user = targetUser(o.user === undefined ? {} : { user: o.user });
      let state: LockneState;
      let profile: string;
      if (o.via) {
        const dns = { ...(o.dns?.find((d) => !d.includes(':')) ? { dns4: o.dns.find((d) => !d.includes(':'))! } : {}), ...(o.dns?.find((d) => d.includes(':')) ? { dns6: o.dns.find((d) => d.includes(':'))! } : {}) };
        ({ state, profile } = await stateWithVia(g, o.via, dns));
      } else {
        state = (await maybeState(g)) ?? await (async () => {
          const cfg = await configFor(g);
          if (!cfg) throw new Error('lockne is not up and there is no config: run `lockne up` first');
          return upFrom(cfg);
        })();
        profile = o.profile!;
      }
      const started = runApp({ profile: profileByName(state, profile), argv, user, detach: o.detach === true });
      if (o.detach) process.stdout.write(`${started.pid}\n`);
      process.exitCode = await started.exited;
    });

  const rule = program.command('rule').description('route apps by executable path, from their first socket');
  rule.command('add')
    .requiredOption('--exe <path>', 'absolute executable path')
    .requiredOption('-p, --profile <name>', 'profile')
    .action(async (o: { exe: string; profile: string }, cmd: Command) => {
      const { addExeRule } = await import('../apps/exe-rules.js');
      const variants = addExeRule(await requireState(globals(cmd)), o.exe, o.profile);
      process.stdout.write(`lockne: ${variants.join(' and ')} → ${o.profile}\n`);
    });
  rule.command('remove')
    .requiredOption('--exe <path>', 'absolute executable path')
    .action(async (o: { exe: string }, cmd: Command) => {
      const { removeExeRule } = await import('../apps/exe-rules.js');
      if (!removeExeRule(await requireState(globals(cmd)), o.exe)) throw new Error(`no rule for ${o.exe}`);
    });
  rule.command('list')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const s = await requireState(globals(cmd));
      if (o.json) process.stdout.write(`${json(s.exeRules)}\n`);
      else for (const r of s.exeRules) process.stdout.write(`${r.path} → ${r.profile}\n`);
    });

  program.command('attach')
    .description('move a running app and its descendants into a profile')
    .argument('<pid>', 'process id')
    .requiredOption('-p, --profile <name>', 'profile')
    .option('--reset', 'destroy its existing TCP/UDP connections so they are made again, routed')
    .action(async (pid: string, o: { profile: string; reset?: boolean }, cmd: Command) => {
      const { attachProcess } = await import('../apps/attach.js');
      const r = attachProcess(await requireState(globals(cmd)), Number(pid), o.profile, { reset: o.reset === true });
      process.stdout.write(`lockne: moved ${r.pids.length} processes to ${o.profile}${o.reset ? `, destroyed ${r.destroyed} sockets` : ''}\n`);
    });

  program.command('status')
    .description('profiles, tunnel state and routed apps')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { statusReport, printStatus } = await import('../observe/status.js');
      const report = statusReport(await maybeState(globals(cmd)), await pinDirFor(globals(cmd)));
      if (o.json) process.stdout.write(`${json(report)}\n`);
      else printStatus(report, process.stdout);
    });

  program.command('monitor')
    .description('stream connection events (JSON lines with --json)')
    .option('--json', 'one JSON object per line')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const state = await requireState(globals(cmd));
      const { monitor } = await import('../observe/monitor.js');
      const ac = new AbortController();
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => ac.abort());
      await monitor(state, (e) => {
        process.stdout.write(o.json ? `${JSON.stringify(e)}\n`
          : `${e.time} ${e.event.padEnd(7)} ${String(e.pid).padStart(7)} ${e.comm.padEnd(15)} ${e.profile.padEnd(12)} ${e.protocol} ${e.destination}:${e.port}${e.event === 'close' ? ` ↑${e.txBytes} ↓${e.rxBytes}` : ''}\n`);
      }, ac.signal);
    });

  program.command('top')
    .description('live per-app traffic by profile')
    .option('--once', 'print one frame and exit')
    .option('--interval <ms>', 'refresh interval', '1000')
    .action(async (o: { once?: boolean; interval: string }, cmd: Command) => {
      const intervalMs = Number(o.interval);
      if (!Number.isInteger(intervalMs) || intervalMs < 0) throw new Error(`--interval ${o.interval}: milliseconds, a whole number >= 0`);
      const state = await requireState(globals(cmd));
      const [{ snapshotSource }, { runTop }] = await Promise.all([import('../observe/source.js'), import('../tui/index.js')]);
      const source = snapshotSource(state);
      try {
        const r = await runTop({ source: source.take, intervalMs, once: o.once === true });
        process.exitCode = r.ok ? 0 : 1;
      } finally {
        source.close();
      }
    });

  program.command('demo')
    .description('build a self-contained world (namespaces, two wireguard-go tunnels), route two apps differently, show it, tear it down')
    .action(async () => {
      const { runDemo } = await import('../demo/demo.js');
      process.exitCode = await runDemo();
    });
}
