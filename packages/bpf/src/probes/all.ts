// probeAll: the whole feature table (program types, map types, and optionally
// helpers per program type), as `lockne-bpf probe` prints it.
import { helperName } from '@lockne/obj';
import { MapType, ProgType, type ProgTypeName } from '../sys/consts.js';
import { probeProgramType } from './program-type.js';
import { probeMapType } from './map-type.js';
import { knownHelperIds, probeHelper } from './helper.js';
import type { ProbeResult } from './result.js';

export interface ProbeTable {
  /** By program type name ('XDP', ...). */
  programTypes: Record<string, ProbeResult>;
  /** By map type name ('HASH', ...). */
  mapTypes: Record<string, ProbeResult>;
  /** Program type name → helper name → result; only the program types asked for. */
  helpers: Record<string, Record<string, ProbeResult>>;
}

export interface ProbeAllOptions {
  /** Probe every known helper for these program types (true: every supported type). Default none. */
  helpers?: boolean | readonly (ProgTypeName | number)[];
}

/**
 * Probe everything; answers are cached, so a second call makes no syscalls.
 * @example
 * const t = probeAll({ helpers: ['XDP'] });
 * t.mapTypes.RINGBUF.status; t.helpers.XDP.bpf_redirect.status;
 */
export function probeAll(opts: ProbeAllOptions = {}): ProbeTable {
  const programTypes: Record<string, ProbeResult> = {};
  const mapTypes: Record<string, ProbeResult> = {};
  const helpers: Record<string, Record<string, ProbeResult>> = {};
  for (const [name, n] of Object.entries(ProgType)) if (n !== ProgType.UNSPEC) programTypes[name] = probeProgramType(n);
  for (const [name, n] of Object.entries(MapType)) if (n !== MapType.UNSPEC) mapTypes[name] = probeMapType(n);
  const wanted = opts.helpers === true
    ? Object.entries(programTypes).filter(([, r]) => r.status === 'supported').map(([name]) => ProgType[name as ProgTypeName])
    : opts.helpers ? opts.helpers.map((t) => (typeof t === 'number' ? t : ProgType[t])) : [];
  for (const type of wanted) {
    const row: Record<string, ProbeResult> = {};
    for (const id of knownHelperIds()) row[helperName(id) ?? `#${id}`] = probeHelper(type, id);
    const typeName = Object.entries(ProgType).find(([, v]) => v === type)?.[0] ?? `#${type}`;
    helpers[typeName] = row;
  }
  return { programTypes, mapTypes, helpers };
}
