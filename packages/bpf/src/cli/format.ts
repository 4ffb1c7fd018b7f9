// Human-readable listings in bpftool's shape ("ID: type  name N  tag T" and an
// indented detail line), shared by the CLI and the demo.
import type { MapInfoResult } from '../maps/map.js';
import type { ProgramInfo } from '../programs/program.js';
import type { BtfSummary, LinkSummary, LinkTarget } from '../introspect.js';
import type { ProbeResult } from '../probes/result.js';

const lower = (s: string) => s.toLowerCase();

export function formatProgram(p: ProgramInfo): string {
  const head = `${p.id}: ${lower(p.typeName)}  ${p.name ? `name ${p.name}  ` : ''}tag ${p.tag}`;
  const maps = p.mapIds.length ? `  map_ids ${p.mapIds.join(',')}` : '';
  const runs = p.runCount > 0n ? `  run_cnt ${p.runCount}  run_time_ns ${p.runTimeNs}` : '';
  return `${head}\n\txlated ${p.xlatedLength}B  jited ${p.jitedLength}B  uid ${p.createdByUid}${maps}${runs}`;
}

export function formatMap(m: MapInfoResult): string {
  const head = `${m.id}: ${lower(m.typeName)}  ${m.name ? `name ${m.name}  ` : ''}flags 0x${m.flags.toString(16)}`;
  const btf = m.btfId ? `  btf_id ${m.btfId}` : '';
  return `${head}\n\tkey ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}${btf}`;
}

function formatTarget(t: LinkTarget): string {
  switch (t.kind) {
    case 'cgroup': return `cgroup_id ${t.cgroupId}  attach_type ${lower(t.attachType)}`;
    case 'tcx': case 'netkit': return `ifindex ${t.ifindex}  attach_type ${lower(t.attachType)}`;
    case 'xdp': return `ifindex ${t.ifindex}`;
    case 'netns': return `netns_ino ${t.netnsIno}  attach_type ${lower(t.attachType)}`;
    case 'raw_tracepoint': return `tp '${t.tpName}'`;
    case 'tracing': return `attach_type ${lower(t.attachType)}  target_obj_id ${t.targetObjId}  target_btf_id ${t.targetBtfId}`;
    case 'netfilter': return `pf ${t.pf}  hook ${t.hooknum}  prio ${t.priority}`;
    case 'sockmap': return `map_id ${t.mapId}  attach_type ${lower(t.attachType)}`;
    case 'other': return '';
  }
}

export function formatLink(l: LinkSummary): string {
  const target = formatTarget(l.target);
  return `${l.id}: ${lower(l.typeName)}  prog ${l.progId}${target ? `\n\t${target}` : ''}`;
}

export function formatBtf(b: BtfSummary): string {
  return `${b.id}: ${b.name ? `name ${b.name}  ` : ''}size ${b.size}B${b.kernel ? '  kernel' : ''}`;
}

/** "  xdp                      supported" plus the reason when not supported. */
export function formatProbe(name: string, r: ProbeResult, width = 26): string {
  const line = `  ${lower(name).padEnd(width)} ${r.status}`;
  return r.status === 'supported' ? line : `${line}  (${r.reason})`;
}
