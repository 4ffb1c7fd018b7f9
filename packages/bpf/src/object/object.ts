// BpfObject: an eBPF ELF object (as clang builds it for libbpf) loaded into
// the kernel, with the same result libbpf gives: its maps (typed by the
// object's BTF), its programs (attachable by section name), its global
// variables. Minimum kernel: 5.2 for global data, 5.5 for mmapable globals;
// BTF-defined maps and CO-RE need kernel BTF (5.4+).
//
// @example
// const obj = BpfObject.load('counter.bpf.o', { rodata: { target_pid: process.pid } });
// try {
//   const link = obj.program('handle_exec').attach();   // SEC("tracepoint/sched/sched_process_exec")
//   ...
//   console.log([...obj.map('counts').entries()]);     // [[pid, { count: 3n, comm: 'bash' }], ...]
//   console.log(obj.globals.get('events_seen'));        // 3n
//   link.close();
// } finally {
//   obj.close();
// }
import fs from 'node:fs';
import { parseObject, type ObjectSpec } from '@lockne/obj';
import { ArgumentError } from '../errors.js';
import type { BpfMap } from '../maps/map.js';
import type { Btf, BtfLoadError } from '../btf/btf.js';
import { ObjectLoadError } from './errors.js';
import { loadSpec } from './loader.js';
import { objectNameFromPath } from './map-def.js';
import type { ObjectMapEntry } from './maps.js';
import type { ObjectProgram } from './program.js';
import type { GlobalVars } from './vars.js';
import type { ObjectLoadOptions } from './options.js';

export class BpfObject {
  /** Programs by function name. */
  readonly programs: ReadonlyMap<string, ObjectProgram>;
  /** Maps by name (`counts`, `.rodata`, `.bss`, `.kconfig`...), with key/value codecs from BTF. */
  readonly maps: ReadonlyMap<string, BpfMap<unknown, unknown>>;
  /** Global variables of .data/.bss/.rodata/custom sections, by name. */
  readonly globals: GlobalVars;
  /** The object's BTF as loaded into the kernel (undefined when the object has none). */
  readonly btf: Btf | undefined;
  /** The kernel's refusal of the object's BTF (the object then loaded without it, as with libbpf). */
  readonly btfError: BtfLoadError | undefined;
  /** What the load skipped or fell back from, and why (no BTF, a map created without BTF...). */
  readonly notes: readonly string[];
  /** Pins this load created (maps with pinning byName that did not exist yet). */
  readonly createdPins: readonly string[];
  readonly #entries: ReadonlyMap<string, ObjectMapEntry>;
  readonly #release: () => void;
  #closed = false;

  private constructor(parts: ReturnType<typeof loadSpec>) {
    this.programs = parts.programs;
    this.#entries = parts.maps;
    this.maps = new Map([...parts.maps].map(([k, v]) => [k, v.map]));
    this.globals = parts.globals;
    this.btf = parts.btf;
    this.btfError = parts.btfError;
    this.notes = parts.notes;
    this.createdPins = parts.pins;
    this.#release = parts.releaseGlobals;
  }

  /**
   * Load an object: ELF bytes, a path to a .o file, or an ObjectSpec. A
   * failure leaves nothing behind (fds closed, pins it created removed) and
   * throws a typed error naming the map, program (and section) or extern.
   */
  static load(source: Uint8Array | string | ObjectSpec, opts: ObjectLoadOptions = {}): BpfObject {
    let spec: ObjectSpec;
    let name = opts.name ?? '';
    if (typeof source === 'string') {
      let bytes: Uint8Array;
      try {
        bytes = fs.readFileSync(source);
      } catch (e) {
        throw new ObjectLoadError(`object '${source}'`, `cannot read: ${(e as Error).message}`, e);
      }
      if (!opts.name) name = objectNameFromPath(source);
      spec = parseObject(bytes);
    } else if (source instanceof Uint8Array) {
      spec = parseObject(source);
    } else {
      spec = source;
    }
    return new BpfObject(loadSpec(spec, opts, name));
  }

  /** Program `name`; ArgumentError listing the programs when there is none. */
  program(name: string): ObjectProgram {
    const p = this.programs.get(name);
    if (!p) throw new ArgumentError(`no program '${name}' (loaded: ${[...this.programs.keys()].join(', ') || 'none'})`);
    return p;
  }

  /** Map `name`, typed as the caller expects; ArgumentError listing the maps when there is none. */
  map<K = unknown, V = unknown>(name: string): BpfMap<K, V> {
    const m = this.maps.get(name);
    if (!m) throw new ArgumentError(`no map '${name}' (have: ${[...this.maps.keys()].join(', ') || 'none'})`);
    return m as unknown as BpfMap<K, V>;
  }

  /** Where map `name` is pinned (maps with pinning byName), if it is. */
  pinPath(name: string): string | undefined {
    return this.#entries.get(name)?.pinPath;
  }

  /** 'created', 'pinned' (reused from its pin) or 'replacement'. */
  mapOrigin(name: string): ObjectMapEntry['origin'] | undefined {
    return this.#entries.get(name)?.origin;
  }

  /** Close every program, map and the BTF; unmap globals. Pins stay (remove them with unpin). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    for (const p of this.programs.values()) p.close();
    for (const m of this.maps.values()) m.close();
    this.btf?.close();
  }
}
