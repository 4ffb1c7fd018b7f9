// Policy routing rules over rtnetlink (`ip rule`): struct fib_rule_hdr + FRA_*
// attributes (include/uapi/linux/fib_rules.h). Lockne's per-profile pair is
//   fwmark M/0xffffffff lookup T pref P   (send marked sockets to table T)
//   fwmark M/0xffffffff unreachable pref P+1 (kill switch: if T has no route, fail
//                                         with ENETUNREACH instead of falling through to main)
// both tagged FRA_PROTOCOL = LOCKNE_PROTOCOL so a crashed run can be cleaned up.
import { ArgumentError, NetlinkError, netlink, type NetlinkSocket } from '@lockne/bpf';
import { afOf, checkFamily, familyOfAf, formatPrefix, parsePrefix, type IpFamily } from './addr.js';
import { FIB_RULE_HDR_LEN, FIB_RULE_INVERT, Fra, FrAct, LOCKNE_PROTOCOL, RtmType, RtTable } from './consts.js';
import { checkIfName, checkInt, hex, requireRoute, rtCall, where } from './rtnl.js';

const { Attrs, NlmF, attr } = netlink;
type NlAttr = netlink.NlAttr;

/** What a rule does when it matches (FR_ACT_*; `to_tbl` is `ip rule ... lookup T`). */
export type RuleAction = 'to_tbl' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

const ACTIONS: Record<RuleAction, number> = {
  to_tbl: FrAct.TO_TBL, goto: FrAct.GOTO, nop: FrAct.NOP,
  blackhole: FrAct.BLACKHOLE, unreachable: FrAct.UNREACHABLE, prohibit: FrAct.PROHIBIT,
};

/** An inclusive range (uid range, port range). */
export interface Range {
  start: number;
  end: number;
}

/**
 * A rule to add or delete. Only the fields given take part in matching on
 * delete (the kernel's rule_find), so a listed Rule deletes exactly itself.
 */
export interface RuleSpec {
  family: IpFamily;
  /** Preference (`pref`): lower runs first. */
  priority: number;
  /** Default: 'to_tbl' when `table` is given, else required. */
  action?: RuleAction;
  /** Routing table for 'to_tbl' (1..2^32-1; 254 = main). */
  table?: number;
  /** Match sk->mark / skb->mark. */
  fwmark?: number;
  /** Mask for fwmark (the kernel defaults to 0xffffffff when a mark is given). */
  fwmask?: number;
  /** FRA_PROTOCOL; default LOCKNE_PROTOCOL. */
  protocol?: number;
  /** Match the input / output interface by name. */
  iif?: string;
  oif?: string;
  /** Match source / destination prefix ("10.0.0.0/8", "fd00::/64"). */
  src?: string;
  dst?: string;
  /** Invert the match (`ip rule add not ...`). */
  not?: boolean;
  /** Target priority for 'goto'. */
  goto?: number;
  /** `suppress_prefixlength N`: ignore lookup results with a prefix this short or shorter. */
  suppressPrefixLength?: number;
  uidRange?: Range;
  /** IP protocol number (6 = TCP, 17 = UDP). */
  ipProto?: number;
  sportRange?: Range;
  dportRange?: Range;
}

/** A rule as the kernel reports it. */
export interface Rule extends Omit<RuleSpec, 'action'> {
  /** 'unspec' for an action this code does not know (it cannot be re-added or deleted by spec). */
  action: RuleAction | 'unspec';
  /** 0 unless the action is 'to_tbl'. */
  table: number;
  protocol: number;
  not: boolean;
  /** fib_rule_hdr.flags (FIB_RULE_*). */
  flags: number;
  /** DSCP/TOS byte matched (0 = any). */
  tos: number;
}

/**
 * `ip rule`-style text of a rule, for messages and `lockne status`.
 * @example describeRule({ family: 4, priority: 100, fwmark: 1, table: 100 }) // "100: from all fwmark 0x1 lookup 100 proto 76"
 */
export function describeRule(r: RuleSpec | Rule): string {
  const parts = [`${r.priority}:`];
  if (r.not) parts.push('not');
  parts.push(`from ${r.src ?? 'all'}`);
  if (r.dst) parts.push(`to ${r.dst}`);
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    const mask = r.fwmask ?? 0xffffffff;
    parts.push(`fwmark ${hex(r.fwmark ?? 0)}${mask >>> 0 === 0xffffffff ? '' : `/${hex(mask)}`}`);
  }
  if (r.iif) parts.push(`iif ${r.iif}`);
  if (r.oif) parts.push(`oif ${r.oif}`);
  if (r.uidRange) parts.push(`uidrange ${r.uidRange.start}-${r.uidRange.end}`);
  if (r.ipProto !== undefined) parts.push(`ipproto ${r.ipProto}`);
  if (r.sportRange) parts.push(`sport ${r.sportRange.start}-${r.sportRange.end}`);
  if (r.dportRange) parts.push(`dport ${r.dportRange.start}-${r.dportRange.end}`);
  const action = r.action ?? (r.table !== undefined ? 'to_tbl' : 'unspec');
  if (action === 'to_tbl') parts.push(`lookup ${r.table ?? 0}`);
  else if (action === 'goto') parts.push(`goto ${r.goto ?? 0}`);
  else parts.push(action);
  if (r.suppressPrefixLength !== undefined && r.suppressPrefixLength !== 0xffffffff) parts.push(`suppress_prefixlength ${r.suppressPrefixLength}`);
  parts.push(`proto ${r.protocol ?? LOCKNE_PROTOCOL}`);
  return `${parts.join(' ')}${r.family === 6 ? ' (IPv6)' : ''}`;
}

function encodeRule(spec: RuleSpec | Rule): { header: Uint8Array; attrs: NlAttr[] } {
  const family = checkFamily(spec.family, 'rule');
  const action = spec.action ?? (spec.table !== undefined ? 'to_tbl' : undefined);
  if (action === undefined) throw new ArgumentError(`rule: give an action or a table`);
  const actionCode = (ACTIONS as Record<string, number | undefined>)[action];
  if (actionCode === undefined) throw new ArgumentError(`rule: unknown action '${String(action)}' (to_tbl, goto, nop, blackhole, unreachable, prohibit)`);
  const attrs: NlAttr[] = [attr.u32(Fra.PRIORITY, checkInt(spec.priority, 0, 0xffffffff, 'rule priority'))];
  let table = 0;
  if (action === 'to_tbl') {
    table = checkInt(spec.table, 1, 0xffffffff, 'rule table');
    attrs.push(attr.u32(Fra.TABLE, table));
  } else if (spec.table !== undefined && spec.table !== 0) {
    throw new ArgumentError(`rule: a table (${spec.table}) only goes with action 'to_tbl', not '${action}'`);
  }
  if (action === 'goto') attrs.push(attr.u32(Fra.GOTO, checkInt(spec.goto, 0, 0xffffffff, 'rule goto target')));
  if (spec.fwmark !== undefined) attrs.push(attr.u32(Fra.FWMARK, checkInt(spec.fwmark, 0, 0xffffffff, 'rule fwmark')));
  if (spec.fwmask !== undefined) attrs.push(attr.u32(Fra.FWMASK, checkInt(spec.fwmask, 0, 0xffffffff, 'rule fwmask')));
  if (spec.iif !== undefined) attrs.push(attr.str(Fra.IIFNAME, checkIfName(spec.iif, 'rule iif')));
  if (spec.oif !== undefined) attrs.push(attr.str(Fra.OIFNAME, checkIfName(spec.oif, 'rule oif')));
  let srcLen = 0;
  let dstLen = 0;
  if (spec.src !== undefined) {
    const p = parsePrefix(spec.src, family);
    srcLen = p.length;
    if (srcLen) attrs.push(attr.bytes(Fra.SRC, p.bytes));
  }
  if (spec.dst !== undefined) {
    const p = parsePrefix(spec.dst, family);
    dstLen = p.length;
    if (dstLen) attrs.push(attr.bytes(Fra.DST, p.bytes));
  }
  if (spec.suppressPrefixLength !== undefined && spec.suppressPrefixLength !== 0xffffffff) {
    attrs.push(attr.u32(Fra.SUPPRESS_PREFIXLEN, checkInt(spec.suppressPrefixLength, 0, 128, 'rule suppress_prefixlength')));
  }
  if (spec.uidRange) attrs.push(attr.bytes(Fra.UID_RANGE, rangeBytes(spec.uidRange, 4, 'rule uid range')));
  if (spec.ipProto !== undefined) attrs.push(attr.u8(Fra.IP_PROTO, checkInt(spec.ipProto, 0, 255, 'rule ipproto')));
  if (spec.sportRange) attrs.push(attr.bytes(Fra.SPORT_RANGE, rangeBytes(spec.sportRange, 2, 'rule sport range')));
  if (spec.dportRange) attrs.push(attr.bytes(Fra.DPORT_RANGE, rangeBytes(spec.dportRange, 2, 'rule dport range')));
  // Always sent: on delete an absent protocol would match any rule's.
  attrs.push(attr.u8(Fra.PROTOCOL, checkInt(spec.protocol ?? LOCKNE_PROTOCOL, 0, 255, 'rule protocol')));

  const header = new Uint8Array(FIB_RULE_HDR_LEN);
  const v = new DataView(header.buffer);
  v.setUint8(0, afOf(family));
  v.setUint8(1, dstLen);
  v.setUint8(2, srcLen);
  v.setUint8(4, table > 0 && table < 256 ? table : RtTable.UNSPEC);
  v.setUint8(7, actionCode);
  v.setUint32(8, spec.not ? FIB_RULE_INVERT : 0, true);
  return { header, attrs };
}

function rangeBytes(r: Range, width: 2 | 4, what: string): Uint8Array {
  const max = width === 2 ? 0xffff : 0xffffffff;
  checkInt(r.start, 0, max, `${what} start`);
  checkInt(r.end, r.start, max, `${what} end`);
  const b = new Uint8Array(2 * width);
  const v = new DataView(b.buffer);
  if (width === 2) { v.setUint16(0, r.start, true); v.setUint16(2, r.end, true); }
  else { v.setUint32(0, r.start, true); v.setUint32(4, r.end, true); }
  return b;
}

function readRange(d: Uint8Array | undefined, width: 2 | 4): Range | undefined {
  if (!d || d.byteLength < 2 * width) return undefined;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return width === 2 ? { start: v.getUint16(0, true), end: v.getUint16(2, true) } : { start: v.getUint32(0, true), end: v.getUint32(4, true) };
}

const ACTION_NAMES = new Map<number, RuleAction>(Object.entries(ACTIONS).map(([k, v]) => [v, k as RuleAction]));

/**
 * Decode one RTM_NEWRULE payload (fib_rule_hdr + FRA_*); undefined for a family other than v4/v6.
 * @example nl.dump(req, 'rules').map((m) => decodeRule(m.payload))
 */
export function decodeRule(payload: Uint8Array): Rule | undefined {
  if (payload.byteLength < FIB_RULE_HDR_LEN) throw new ArgumentError(`fib_rule_hdr: ${payload.byteLength} bytes, expected ${FIB_RULE_HDR_LEN}`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const family = familyOfAf(v.getUint8(0));
  if (!family) return undefined;
  const a = Attrs.parse(payload.subarray(FIB_RULE_HDR_LEN));
  const action = ACTION_NAMES.get(v.getUint8(7)) ?? 'unspec';
  const flags = v.getUint32(8, true);
  const rule: Rule = {
    family,
    priority: a.u32(Fra.PRIORITY) ?? 0,
    action,
    table: a.u32(Fra.TABLE) ?? v.getUint8(4),
    protocol: a.u8(Fra.PROTOCOL) ?? 0,
    not: (flags & FIB_RULE_INVERT) !== 0,
    flags,
    tos: v.getUint8(3),
  };
  const dstLen = v.getUint8(1);
  const srcLen = v.getUint8(2);
  const src = a.get(Fra.SRC);
  const dst = a.get(Fra.DST);
  if (srcLen && src) rule.src = formatPrefix({ bytes: src, length: srcLen });
  if (dstLen && dst) rule.dst = formatPrefix({ bytes: dst, length: dstLen });
  const mark = a.u32(Fra.FWMARK);
  const mask = a.u32(Fra.FWMASK);
  if (mark !== undefined) rule.fwmark = mark;
  if (mask !== undefined) rule.fwmask = mask;
  const iif = a.str(Fra.IIFNAME);
  const oif = a.str(Fra.OIFNAME);
  if (iif) rule.iif = iif;
  if (oif) rule.oif = oif;
  if (action === 'goto') rule.goto = a.u32(Fra.GOTO) ?? 0;
  const spl = a.u32(Fra.SUPPRESS_PREFIXLEN);
  if (spl !== undefined && spl !== 0xffffffff) rule.suppressPrefixLength = spl;
  const uid = readRange(a.get(Fra.UID_RANGE), 4);
  // The kernel reports uid ranges only when set, but guard the "all uids" default anyway.
  if (uid && !(uid.start === 0 && uid.end === 0xffffffff)) rule.uidRange = uid;
  const ipProto = a.u8(Fra.IP_PROTO);
  if (ipProto) rule.ipProto = ipProto;
  const sport = readRange(a.get(Fra.SPORT_RANGE), 2);
  const dport = readRange(a.get(Fra.DPORT_RANGE), 2);
  if (sport) rule.sportRange = sport;
  if (dport) rule.dportRange = dport;
  if (action !== 'to_tbl') rule.table = 0;
  return rule;
}

/**
 * Every rule of the socket's namespace, in the kernel's order (by priority),
 * IPv4 then IPv6, or only `family`.
 * @example withNetlink({ netns: 'lkc' }, (nl) => listRules(nl, 4).filter((r) => r.protocol === LOCKNE_PROTOCOL))
 */
export function listRules(nl: NetlinkSocket, family?: IpFamily): Rule[] {
  requireRoute(nl, 'list rules');
  const families: IpFamily[] = family === undefined ? [4, 6] : [checkFamily(family, 'list rules')];
  const out: Rule[] = [];
  for (const f of families) {
    const header = new Uint8Array(FIB_RULE_HDR_LEN);
    header[0] = afOf(f);
    const purpose = `list IPv${f} rules${where(nl)}`;
    const msgs = rtCall('RTM_GETRULE', purpose, () => nl.dump({ type: RtmType.GETRULE, flags: 0, header }, purpose));
    for (const m of msgs) {
      if (m.type !== RtmType.NEWRULE) continue;
      const r = decodeRule(m.payload);
      if (r && r.family === f) out.push(r);
    }
  }
  return out;
}

/**
 * Add a rule; NLM_F_EXCL makes an identical existing rule an error
 * (NetlinkError code 'EEXIST'). Rules that differ only in priority or
 * matchers are distinct and may coexist.
 * @example
 * addRule(nl, { family: 4, priority: 10000, fwmark: 0x4c01, fwmask: 0xffffffff, table: 0x4c01 });
 * addRule(nl, { family: 4, priority: 10001, fwmark: 0x4c01, fwmask: 0xffffffff, action: 'unreachable' });
 */
export function addRule(nl: NetlinkSocket, spec: RuleSpec): void {
  requireRoute(nl, 'add rule');
  const { header, attrs } = encodeRule(spec);
  const purpose = `add rule '${describeRule(spec)}'${where(nl)}`;
  rtCall('RTM_NEWRULE', purpose, () => nl.request({ type: RtmType.NEWRULE, flags: NlmF.CREATE | NlmF.EXCL, header, attrs }, purpose));
}

/**
 * Add a rule unless an identical one exists. Returns true when it was
 * created, false when it was already there (idempotent `lockne up`).
 * @example ensureRule(nl, { family: 6, priority: 10000, fwmark: 0x4c01, table: 0x4c01 }) // true, then false
 */
export function ensureRule(nl: NetlinkSocket, spec: RuleSpec): boolean {
  try {
    addRule(nl, spec);
    return true;
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Delete the first rule matching every field of `spec` (protocol defaults to
 * LOCKNE_PROTOCOL, so foreign rules are never hit by accident). A missing
 * rule throws NetlinkError 'ENOENT'.
 * @example deleteRule(nl, { family: 4, priority: 10001, fwmark: 0x4c01, action: 'unreachable' })
 */
export function deleteRule(nl: NetlinkSocket, spec: RuleSpec | Rule): void {
  requireRoute(nl, 'delete rule');
  const { header, attrs } = encodeRule(spec);
  const purpose = `delete rule '${describeRule(spec)}'${where(nl)}`;
  rtCall('RTM_DELRULE', purpose, () => nl.request({ type: RtmType.DELRULE, flags: 0, header, attrs }, purpose));
}

/**
 * Delete every rule tagged `protocol` (IPv4 and IPv6, or only `family`) and
 * return them. Rules of any other protocol are untouched. A rule that
 * vanishes meanwhile (ENOENT) is skipped.
 * @example deleteAllRulesWithProtocol(nl, LOCKNE_PROTOCOL) // `lockne down` after a crash
 */
export function deleteAllRulesWithProtocol(nl: NetlinkSocket, protocol: number, family?: IpFamily): Rule[] {
  checkInt(protocol, 0, 255, 'rule protocol');
  // Protocol 0 would match rules whose protocol is unset: never a Lockne rule.
  if (protocol === 0) throw new ArgumentError('deleteAllRulesWithProtocol: protocol 0 (unspec) would delete foreign rules');
  const ours = listRules(nl, family).filter((r) => r.protocol === protocol);
  const deleted: Rule[] = [];
  for (const r of ours) {
    try {
      deleteRule(nl, r);
      deleted.push(r);
    } catch (e) {
      if (!(e instanceof NetlinkError && e.code === 'ENOENT')) throw e;
    }
  }
  return deleted;
}
