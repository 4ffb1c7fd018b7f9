// `lockne-bpf load <obj> [--pin DIR]`: load an eBPF object the way libbpf
// does (BpfObject.load) and, with --pin, keep it: programs pinned at
// DIR/<function>, maps at DIR/maps/<kernel map name>, the layout of
// `bpftool prog loadall OBJ DIR pinmaps DIR/maps` (bpffs refuses '.', so
// "x.rodata" pins as "x_rodata", as libbpf does). Maps the object pins by name
// (LIBBPF_PIN_BY_NAME) stay at their own pin. Without --pin everything is
// unloaded when the command exits: a check that the object loads.
//
// @example
// lockne-bpf load counter.bpf.o --pin /sys/fs/bpf/counter
// bpftool prog show pinned /sys/fs/bpf/counter/handle_exec
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { BpfObject } from '../../object/object.js';
import type { ObjectLoadOptions } from '../../object/options.js';
import { ArgumentError } from '../../errors.js';
import { ensureBpffs, isOnBpffs, pin, unpin } from '../../pin.js';
import { parseCount, toJson } from '../io.js';
import { columns, listArg, lowerName } from './object-file.js';
import { AttachType } from '../../sys/consts.js';

export interface LoadCliOptions {
  pin?: string;
  programs?: string;
  logLevel?: string;
  json?: boolean;
}

export interface LoadJson {
  file: string;
  programs: { name: string; section: string; type: string; expectedAttachType: string | null; id: number; tag: string; insns: number; pinned: string | null }[];
  maps: { name: string; kernelName: string; type: string; id: number; pinned: string | null; origin: string }[];
  /** What the loader skipped or fell back from. */
  notes: string[];
  /** False without --pin: the programs and maps are gone once the command exits. */
  persistent: boolean;
}

const DEFAULT_BPFFS = '/sys/fs/bpf';

/** bpffs refuses '.' in names; libbpf turns it into '_' (sanitize_pin_path). */
const pinName = (name: string): string => name.replace(/\./g, '_');

/**
 * Make `dir` exist on bpffs: mount /sys/fs/bpf when `dir` is under it and
 * nothing is mounted there yet. Returns the directories it created (deepest last).
 */
function preparePinDir(dir: string): string[] {
  const abs = path.resolve(dir);
  if (abs === DEFAULT_BPFFS || abs.startsWith(`${DEFAULT_BPFFS}/`)) ensureBpffs(DEFAULT_BPFFS);
  let existing = abs;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  if (!isOnBpffs(existing)) throw new ArgumentError(`--pin '${dir}': '${existing}' is not on a bpf filesystem (mount -t bpf bpf <dir>)`);
  const created: string[] = [];
  for (const d of [abs, path.join(abs, 'maps')]) {
    if (fs.existsSync(d)) continue;
    // mkdir one level at a time so every directory made here is known for cleanup.
    const missing: string[] = [];
    for (let p = d; !fs.existsSync(p); p = path.dirname(p)) missing.unshift(p);
    for (const p of missing) {
      fs.mkdirSync(p);
      created.push(p);
    }
  }
  return created;
}

/** Load `file`, pin it under `opts.pin` when given, and report what was loaded. */
export function loadObject(file: string, opts: LoadCliOptions = {}): LoadJson {
  const loadOpts: ObjectLoadOptions = {};
  if (opts.programs !== undefined) loadOpts.programs = listArg(opts.programs);
  if (opts.logLevel !== undefined) loadOpts.logLevel = parseCount(opts.logLevel, '--log-level');
  const dirs = opts.pin !== undefined ? preparePinDir(opts.pin) : [];
  const pins: string[] = [];
  let obj: BpfObject | undefined;
  try {
    obj = BpfObject.load(file, loadOpts);
    const pinAt = (what: { fd: number }, p: string): string => {
      pin(what, p);
      pins.push(p);
      return p;
    };
    const dir = opts.pin !== undefined ? path.resolve(opts.pin) : undefined;
    const programs = [...obj.programs.values()].map((p) => {
      const info = p.info();
      return {
        name: p.functionName,
        section: p.def.section,
        type: info.typeName.toLowerCase(),
        expectedAttachType: p.def.expectedAttachType === undefined ? null : lowerName(AttachType, p.def.expectedAttachType),
        id: info.id,
        tag: info.tag,
        insns: info.xlatedLength / 8,
        pinned: dir ? pinAt(p, path.join(dir, pinName(p.functionName))) : null,
      };
    });
    const maps = [...obj.maps].map(([name, m]) => {
      const info = m.info();
      const byName = obj!.pinPath(name);
      return {
        name,
        kernelName: info.name,
        type: info.typeName.toLowerCase(),
        id: info.id,
        pinned: byName ?? (dir ? pinAt(m, path.join(dir, 'maps', pinName(info.name || name))) : null),
        origin: obj!.mapOrigin(name) ?? 'created',
      };
    });
    return { file, programs, maps, notes: [...obj.notes], persistent: dir !== undefined };
  } catch (e) {
    // Leave nothing half-pinned behind.
    for (const p of pins.reverse()) {
      try { unpin(p); } catch { /* already gone */ }
    }
    for (const d of dirs.reverse()) {
      try { fs.rmdirSync(d); } catch { /* not empty: not ours to remove */ }
    }
    throw e;
  } finally {
    obj?.close();
  }
}

function formatLoad(r: LoadJson): string {
  const out = [`loaded ${r.file}: ${r.programs.length} program${r.programs.length === 1 ? '' : 's'}, ${r.maps.length} map${r.maps.length === 1 ? '' : 's'}`];
  if (r.programs.length) {
    out.push('programs:', columns(r.programs.map((p) => [
      p.name, `id ${p.id}`, p.type, `tag ${p.tag}`, `${p.insns} insns`, p.pinned ? `pinned ${p.pinned}` : '',
    ])));
  }
  if (r.maps.length) {
    out.push('maps:', columns(r.maps.map((m) => [
      m.name, `id ${m.id}`, m.type, m.kernelName !== m.name ? `name ${m.kernelName}` : '',
      `${m.pinned ? `pinned ${m.pinned}` : ''}${m.origin === 'pinned' ? ' (reused)' : ''}`.trim(),
    ])));
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  if (!r.persistent) out.push('not pinned: unloaded when lockne-bpf exits (use --pin DIR to keep it)');
  return out.join('\n');
}

export function registerLoad(cli: Command): void {
  cli.command('load')
    .description('load an eBPF object (maps, relocations, CO-RE, programs) like libbpf; --pin keeps it loaded')
    .argument('<object>', 'an eBPF ELF object (clang -O2 -g -target bpf)')
    .option('--pin <dir>', 'pin programs at DIR/<function> and maps at DIR/maps/<name> (like bpftool prog loadall ... pinmaps)')
    .option('--programs <names>', 'load only these programs (comma-separated function names)')
    .option('--log-level <n>', 'verifier log level (1 or 2)')
    .option('--json', 'print one JSON object')
    .action((file: string, opts: LoadCliOptions) => {
      const r = loadObject(file, opts);
      process.stdout.write(`${opts.json ? toJson(r) : formatLoad(r)}\n`);
    });
}
