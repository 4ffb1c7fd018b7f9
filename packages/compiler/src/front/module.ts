// Declarations visitor: the module's top level. `export const m = new HashMap<K, V>(...)`
// declares a map, `export const p = xdp((ctx) => ...)` a program; imports are
// allowed, everything else is reported.
import ts from 'typescript';
import { CompileAbort, type SourcePos } from '../diagnostics.js';
import type { IrFunction, IrGlobal, MapRef } from '../ir/ir.js';
import { declareGlobal, isGlobalKind } from './globals.js';
import { INT, layoutSize, type Layout } from '../ir/types.js';
import type { CtxKind } from './context-fields.js';
import { kernelSymbol } from './kernel.js';
import { layoutOfExpr, layoutOfTypeNode } from './layout.js';
import { Lowerer, type ModuleInfo, type SubprogramIr } from './lower.js';
import { lowerExpr } from './expressions.js';
import { lowerStatements } from './statements.js';
import { constExpr, declareModuleConst } from './constants.js';
import { helperId } from '@lockne/obj';
import { findRecordLeaks } from '../ir/record-leaks.js';
import { logGlobals } from './log.js';
import { declareKernelStruct, kernelStructOfExpr } from './core.js';
import { declareMoreMap, isMoreMap } from './maps-more.js';
import { SPIN_LOCK, SPIN_UNLOCK, spinLockMapProblem } from './spin-lock.js';
import { findSpinLockMisuse } from '../ir/spin-locks.js';
import { importProblem } from './imports.js';

const RESERVE = helperId('bpf_ringbuf_reserve')!;
const RELEASE: ReadonlySet<number> = new Set([helperId('bpf_ringbuf_submit')!, helperId('bpf_ringbuf_discard')!]);

/** Program kinds this version compiles, with their ELF section, prog type and context. */
// `writable`: ctx fields the kernel's *_is_valid_access lets this kind write (docs/language.md).
const TC_WRITABLE = ['mark', 'priority', 'tcIndex', 'tcClassid', 'queueMapping', 'tstamp', 'cb'];
const KINDS: Record<string, { progType: string; ctx: CtxKind; section: (args: readonly ts.Expression[]) => string; writable?: string[] }> = {
  xdp: { progType: 'XDP', ctx: 'xdp_md', section: () => 'xdp' },
  tc: { progType: 'SCHED_CLS', ctx: '__sk_buff', section: () => 'tc', writable: TC_WRITABLE },
  tcx: { progType: 'SCHED_CLS', ctx: '__sk_buff', section: (a) => `tcx/${strArg(a[0])}`, writable: TC_WRITABLE },
  socketFilter: { progType: 'SOCKET_FILTER', ctx: '__sk_buff', section: () => 'socket', writable: ['cb'] },
  cgroupSkb: { progType: 'CGROUP_SKB', ctx: '__sk_buff', section: (a) => `cgroup_skb/${strArg(a[0])}`, writable: ['mark', 'priority', 'tstamp', 'cb'] },
  // bound_dev_if/mark/priority are writable only at sock_create/sock_release.
  cgroupSock: { progType: 'CGROUP_SOCK', ctx: 'bpf_sock', section: (a) => `cgroup/${strArg(a[0])}`, writable: ['boundDevIf', 'mark', 'priority'] },
  // user_ip4/user_ip6/user_port are writable (rewriting them redirects connect/bind/sendmsg).
  cgroupSockAddr: { progType: 'CGROUP_SOCK_ADDR', ctx: 'bpf_sock_addr', section: (a) => `cgroup/${strArg(a[0])}`, writable: ['userIp4', 'userIp6', 'userPort', 'msgSrcIp4', 'msgSrcIp6'] },
  // setsockopt may rewrite level/optname/optlen; getsockopt optlen/retval (cg_sockopt_is_valid_access).
  cgroupSockopt: { progType: 'CGROUP_SOCKOPT', ctx: 'bpf_sockopt', section: (a) => `cgroup/${strArg(a[0])}`, writable: ['optlen'] },
  // file_pos is the only writable field of struct bpf_sysctl; bpf_cgroup_dev_ctx has none.
  cgroupSysctl: { progType: 'CGROUP_SYSCTL', ctx: 'bpf_sysctl', section: () => 'cgroup/sysctl', writable: ['filePos'] },
  cgroupDevice: { progType: 'CGROUP_DEVICE', ctx: 'bpf_cgroup_dev_ctx', section: () => 'cgroup/dev' },
  sockOps: { progType: 'SOCK_OPS', ctx: 'bpf_sock_ops', section: () => 'sockops', writable: ['reply', 'replylong', 'skTxhash'] },
  skLookup: { progType: 'SK_LOOKUP', ctx: 'bpf_sk_lookup', section: () => 'sk_lookup' },
  skMsg: { progType: 'SK_MSG', ctx: 'sk_msg_md', section: () => 'sk_msg' },
  // BTF-typed tracing: ctx is the target's u64 arguments (ctx.arg(n)); the loader resolves attach_btf_id.
  tpBtf: { progType: 'TRACING', ctx: 'bpf_raw_tracepoint_args', section: (a) => `tp_btf/${strArg(a[0])}` },
  fentry: { progType: 'TRACING', ctx: 'bpf_raw_tracepoint_args', section: (a) => `fentry/${strArg(a[0])}` },
  fexit: { progType: 'TRACING', ctx: 'bpf_raw_tracepoint_args', section: (a) => `fexit/${strArg(a[0])}` },
  lsm: { progType: 'LSM', ctx: 'bpf_raw_tracepoint_args', section: (a) => `lsm/${strArg(a[0])}` },
  iter: { progType: 'TRACING', ctx: 'bpf_iter_task', section: (a) => `iter/${strArg(a[0])}` },
  iterSkStorage: { progType: 'TRACING', ctx: 'bpf_iter_sk_storage_map', section: () => 'iter/bpf_sk_storage_map' },
  tracepoint: { progType: 'TRACEPOINT', ctx: 'trace_event_raw', section: (a) => `tracepoint/${strArg(a[0])}/${strArg(a[1])}` },
  rawTracepoint: { progType: 'RAW_TRACEPOINT', ctx: 'bpf_raw_tracepoint_args', section: (a) => `raw_tracepoint/${strArg(a[0])}` },
};

function strArg(e: ts.Expression | undefined): string {
  return e && ts.isStringLiteralLike(e) ? e.text : '?';
}

export interface ProgramIr {
  readonly name: string;
  readonly section: string;
  /** BPF_PROG_TYPE_* name as @lockne/bpf spells it. */
  readonly progType: string;
  readonly ir: IrFunction;
  /** bpf.loop bodies, callees before callers. */
  readonly subprograms: SubprogramIr[];
}

export interface ModuleIr {
  readonly programs: ProgramIr[];
  readonly maps: MapRef[];
  /** rodata()/data()/bss() declarations, in source order. */
  readonly globals: IrGlobal[];
  /** From `license('...')`. */
  readonly license?: string;
}

/**
 * Map classes with lookup/update(/delete) of integer or struct keys and values.
 * Per-CPU maps compile the same way: the program sees this CPU's value, userspace one per CPU.
 */
const ARRAY_CLASSES: ReadonlySet<string> = new Set(['ArrayMap', 'PerCpuArrayMap']);
const MAP_CLASSES: ReadonlySet<string> = new Set(['HashMap', 'LruHashMap', 'PerCpuHashMap', 'LruPerCpuHashMap', 'LpmTrie', ...ARRAY_CLASSES]);

/** An LpmTrie key: a struct starting with `prefixlen: u32` and at least one data byte after it, no trailing padding. */
function lpmKeyProblem(key: Layout): string | undefined {
  if (key.kind !== 'struct') return 'is not a struct';
  const first = key.fields[0];
  if (!first || first.name !== 'prefixlen' || first.off !== 0 || first.ty.kind !== 'int' || first.ty.name !== 'u32') return 'does not start with prefixlen: u32';
  const last = key.fields[key.fields.length - 1]!;
  if (key.size <= 4) return 'has no data after prefixlen';
  if (last.off + layoutSize(last.ty) !== key.size || (key.fields[1] && key.fields[1].off !== 4)) return 'has padding (the kernel matches key_size - 4 data bytes)';
  return undefined;
}

function maxEntriesOf(info: ModuleInfo, e: ts.NewExpression, report: (m: string, n: ts.Node) => void): number {
  const opts = e.arguments?.[0];
  if (opts && ts.isObjectLiteralExpression(opts)) {
    for (const p of opts.properties) {
      if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'maxEntries') {
        const c = constExpr(info, p.initializer);
        if (c && c.value >= 0n && c.value <= 0xffffffffn) return Number(c.value);
        report(c ? `maxEntries ${c.value} is outside 0..4294967295` : 'maxEntries must be a compile-time constant', p.initializer);
        return 0;
      }
    }
  }
  report('map options need maxEntries', e);
  return 0;
}

/** The `flags:` option (a compile-time u32), 0 when absent. */
function flagsOf(info: ModuleInfo, e: ts.NewExpression, report: (m: string, n: ts.Node) => void): number {
  const opts = e.arguments?.[0];
  if (!opts || !ts.isObjectLiteralExpression(opts)) return 0;
  const p = opts.properties.find((x): x is ts.PropertyAssignment => ts.isPropertyAssignment(x) && ts.isIdentifier(x.name) && x.name.text === 'flags');
  if (!p) return 0;
  const c = constExpr(info, p.initializer);
  if (c && c.value >= 0n && c.value <= 0xffffffffn) return Number(c.value);
  report(c ? `flags ${c.value} is outside 0..4294967295` : 'map flags must be a compile-time constant', p.initializer);
  return 0;
}

/** The layout of a `key:`/`value:` descriptor option, when given. */
function optLayout(info: ModuleInfo, e: ts.NewExpression, field: string): Layout | undefined {
  const o = e.arguments?.[0];
  if (!o || !ts.isObjectLiteralExpression(o)) return undefined;
  const p = o.properties.find((x): x is ts.PropertyAssignment => ts.isPropertyAssignment(x) && ts.isIdentifier(x.name) && x.name.text === field);
  return p ? layoutOfExpr(info.checker, p.initializer) : undefined;
}

function declareMap(info: ModuleInfo, name: string, e: ts.NewExpression, at: ts.Node): MapRef | undefined {
  const cls = kernelSymbol(info.checker, e.expression)?.name;
  const pos = (n: ts.Node) => {
    const { line, character } = info.sf.getLineAndCharacterOfPosition(n.getStart(info.sf));
    return { file: info.file, line: line + 1, column: character + 1, text: '' };
  };
  if (cls === 'RingBuf') return declareRingBuf(info, name, e, pos(at));
  if (cls === 'SkStorage' || cls === 'TaskStorage') {
    // The kernel wants an `int` key, a BTF value, max_entries 0 and BPF_F_NO_PREALLOC.
    const value = (e.typeArguments?.[0] ? layoutOfTypeNode(info.checker, e.typeArguments[0]) : undefined) ?? optLayout(info, e, 'value');
    if (!value) {
      info.diags.report('LK3010', `${cls} '${name}': the value must be an integer width or a struct()/array() layout`, pos(at));
      return undefined;
    }
    return { name, kind: cls === 'SkStorage' ? 'skStorage' : 'taskStorage', key: INT.i32, value, maxEntries: 0, className: cls, flags: 1 };
  }
  // Queue/stack/bloom, redirect, socket, cgroup, stack-trace maps and maps of maps (front/maps-more.ts).
  if (isMoreMap(cls)) return declareMoreMap(info, name, cls!, e, at, (inner, innerName) => declareMap(info, innerName, inner, inner));
  if (cls === 'ProgramArray') {
    let bad = false;
    const maxEntries = maxEntriesOf(info, e, (m, n) => { bad = true; info.diags.report('LK4005', m, pos(n)); });
    return bad ? undefined : { name, kind: 'progArray', key: INT.u32, value: INT.u32, maxEntries, className: cls };
  }
  if (cls === undefined || !MAP_CLASSES.has(cls)) {
    info.diags.report('LK4002', `'${cls ?? e.expression.getText()}' maps are not supported by this version (${[...MAP_CLASSES].join(', ')}, RingBuf)`, pos(at));
    return undefined;
  }
  // Layouts from the type arguments (`HashMap<Flow, Stats>`), else from the `key:`/`value:` descriptors.
  const targs = e.typeArguments ?? [];
  const opt = (field: string): Layout | undefined => optLayout(info, e, field);
  const fromArg = (n: number, field: string): Layout | undefined => (targs[n] ? layoutOfTypeNode(info.checker, targs[n]) : undefined) ?? opt(field);
  const indexed = ARRAY_CLASSES.has(cls);
  const key = indexed ? INT.u32 : fromArg(0, 'key');
  const value = indexed ? fromArg(0, 'value') : fromArg(1, 'value');
  if (!key || !value) {
    info.diags.report('LK3010', `map '${name}': keys and values must be integer widths or struct()/array() layouts (type Flow = Infer<typeof Flow>)`, pos(at));
    return undefined;
  }
  const lpm = cls === 'LpmTrie' ? lpmKeyProblem(key) : undefined;
  if (lpm) {
    info.diags.report('LK3010', `LpmTrie '${name}': the key ${lpm}; use LpmKeyV4, LpmKeyV6 or lpmKey(data)`, pos(at));
    return undefined;
  }
  let bad = false;
  const maxEntries = maxEntriesOf(info, e, (m, n) => { bad = true; info.diags.report('LK4005', m, pos(n)); });
  const flags = flagsOf(info, e, (m, n) => { bad = true; info.diags.report('LK4005', m, pos(n)); });
  if (bad) return undefined;
  return { name, kind: indexed ? 'array' : 'hash', key, value, maxEntries, className: cls, ...(flags ? { flags } : {}) };
}

/** `new RingBuf({ size })`: size a constant power of two (the kernel also wants a page multiple). */
function declareRingBuf(info: ModuleInfo, name: string, e: ts.NewExpression, at: SourcePos): MapRef | undefined {
  const o = e.arguments?.[0];
  const p = o && ts.isObjectLiteralExpression(o)
    ? o.properties.find((x): x is ts.PropertyAssignment => ts.isPropertyAssignment(x) && ts.isIdentifier(x.name) && x.name.text === 'size')
    : undefined;
  const c = p && constExpr(info, p.initializer);
  const size = c && c.value > 0n && c.value <= 0x80000000n && (c.value & (c.value - 1n)) === 0n ? Number(c.value) : undefined;
  if (size === undefined) {
    info.diags.report('LK4005', `ring buffer '${name}' needs a constant power-of-two size`, at);
    return undefined;
  }
  // Ring buffers have no key/value; u8 placeholders keep MapRef's shape (the ELF writer omits them).
  return { name, kind: 'ringbuf', key: INT.u8, value: INT.u8, maxEntries: size, className: 'RingBuf' };
}

function lowerProgram(info: ModuleInfo, name: string, kind: string, call: ts.CallExpression): ProgramIr | undefined {
  const k = KINDS[kind]!;
  const fn = call.arguments[call.arguments.length - 1];
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) {
    const { line, character } = info.sf.getLineAndCharacterOfPosition(call.getStart(info.sf));
    info.diags.report('LK4001', `${kind}(...) takes the program function inline`, { file: info.file, line: line + 1, column: character + 1, text: '' });
    return undefined;
  }
  const L = new Lowerer(info, name, fn, k.ctx, INT.i32);
  L.programKind = kind;
  // post_bind hooks see a bound socket: its fields are read-only there.
  const postBind = kind === 'cgroupSock' && strArg(call.arguments[0]).startsWith('post_bind');
  L.writable = new Set(postBind ? [] : k.writable ?? []);
  if (kind === 'cgroupSockopt') {
    const set = strArg(call.arguments[0]) === 'setsockopt';
    L.writable = new Set(set ? ['level', 'optname', 'optlen'] : ['optlen', 'retval']);
    // retval is the kernel's result: only getsockopt (which runs after the kernel) has one.
    if (set) L.hidden = new Set(['retval']);
  }
  try {
    const param = fn.parameters[0];
    if (param) {
      const sym = L.symbolOf(param.name);
      if (sym) L.locals.set(sym, { kind: 'var', vreg: L.b.ctx, mutable: false });
    }
    if (ts.isBlock(fn.body)) lowerStatements(L, fn.body.statements);
    else {
      const v = lowerExpr(L, fn.body, INT.i32);
      const value = v.kind === 'val' && v.ty.kind === 'int' ? v.op : L.operand(v, INT.i32, fn.body).op;
      L.b.terminate({ op: 'ret', value, pos: L.pos(fn.body) });
    }
    if (L.b.open) L.fail('LK4003', `program '${name}' can end without returning a verdict`, fn);
  } catch (e) {
    if (e instanceof CompileAbort) return undefined;
    throw e;
  }

  const ir: IrFunction = { ...L.b.finish(), ctxKind: k.ctx };
  for (const f of [ir, ...L.subprograms.map((s) => s.ir)]) {
    for (const leak of findRecordLeaks(f, RESERVE, RELEASE)) {
      info.diags.report('LK3004', `the ring buffer record reserved at line ${leak.reservedAt.line} can reach this return neither submitted nor discarded`, leak.at);
    }
    for (const m of findSpinLockMisuse(f, SPIN_LOCK, SPIN_UNLOCK)) info.diags.report('LK3005', m.message, m.at);
  }
  return { name, section: k.section(call.arguments), progType: k.progType, ir, subprograms: L.subprograms };
}

export function lowerModule(info: ModuleInfo): ModuleIr {
  const programs: ProgramIr[] = [];
  const maps: MapRef[] = [];
  const globals: IrGlobal[] = [];
  const pending: Array<{ name: string; kind: string; call: ts.CallExpression }> = [];
  /** Top-level names and where they are declared (reserved-name diagnostics point there). */
  const declared = new Map<string, ts.Node>();
  let license: string | undefined;
  const posOf = (n: ts.Node) => {
    const { line, character } = info.sf.getLineAndCharacterOfPosition(n.getStart(info.sf));
    return { file: info.file, line: line + 1, column: character + 1, text: '' };
  };
  for (const st of info.sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const why = importProblem(info.checker, st);
      if (why) info.diags.report('LK1010', why, posOf(st.moduleSpecifier));
      continue;
    }
    // Enums are compile-time constants: members are read through the checker where they are used.
    if (ts.isTypeAliasDeclaration(st) || (ts.isFunctionDeclaration(st) && st.body) || ts.isInterfaceDeclaration(st) || ts.isEnumDeclaration(st) || ts.isEmptyStatement(st)) continue;
    if (ts.isVariableStatement(st)) {
      const exported = st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
      const isConst = !!(st.declarationList.flags & ts.NodeFlags.Const);
      for (const d of st.declarationList.declarations) {
        const init = d.initializer;
        if (!ts.isIdentifier(d.name) || !init) { info.diags.report('LK1001', 'unsupported declaration', posOf(d)); continue; }
        const name = d.name.text;
        declared.set(name, d.name);
        if (ts.isNewExpression(init)) {
          if (!exported || !isConst) { info.diags.report('LK4002', `map '${name}' must be an exported const`, posOf(d)); continue; }
          const m = declareMap(info, name, init, d);
          const sym = info.checker.getSymbolAtLocation(d.name);
          if (m && sym) { maps.push(m); info.maps.set(sym, m); }
          continue;
        }
        if (ts.isCallExpression(init)) {
          const kind = kernelSymbol(info.checker, init.expression)?.name;
          if (kind === 'license' && init.arguments.length === 1 && ts.isStringLiteralLike(init.arguments[0]!)) {
            // `export const LICENSE = license('GPL')`: the object's license section.
            license = init.arguments[0].text;
            continue;
          }
          if (kind && isGlobalKind(kind)) {
            const sym = info.checker.getSymbolAtLocation(d.name);
            if (!exported || !isConst || !sym) { info.diags.report('LK4002', `global '${name}' must be an exported const`, posOf(d)); continue; }
            const g = declareGlobal(info, sym, name, kind, init, (msg, n) => info.diags.report('LK4005', msg, posOf(n)));
            if (g) globals.push(g);
            continue;
          }
          if (kind === 'kernelStruct' && isConst) {
            // CO-RE reads name it (front/core.ts); its BTF is written when a read uses it.
            const ks = kernelStructOfExpr(info.checker, init);
            const problem = typeof ks === 'string' ? ks : declareKernelStruct(info, ks);
            if (problem) info.diags.report(typeof ks === 'string' ? 'LK4005' : 'LK4004', problem, posOf(init));
            continue;
          }
          if ((kind === 'struct' || kind === 'array' || kind === 'lpmKey') && isConst) {
            // A layout declaration: evaluated where it is used (map types, header(), literals).
            if (!layoutOfExpr(info.checker, init)) info.diags.report('LK4005', `layout '${name}' must be built from constant struct()/array()/integer descriptors`, posOf(init));
            continue;
          }
          if (kind && KINDS[kind]) {
            if (!exported || !isConst) { info.diags.report('LK4001', `program '${name}' must be an exported const`, posOf(d)); continue; }
            pending.push({ name, kind, call: init });
            continue;
          }
          if (kind) { info.diags.report('LK4006', `program kind '${kind}' is not supported by this version`, posOf(init)); continue; }
        }
        // `const PORT = 53`, `const SLOTS = 4 * 1024`: an untyped compile-time constant.
        const c = isConst ? constExpr(info, init) : undefined;
        const sym = c && info.checker.getSymbolAtLocation(d.name);
        if (c && sym) { declareModuleConst(info, sym, c); continue; }
        info.diags.report('LK4007', `module-level '${name}' is neither a map, a program nor an integer constant`, posOf(d));
      }
      continue;
    }
    if (ts.isClassDeclaration(st)) { info.diags.report('LK1003', `class ${st.name?.text ?? ''} is not supported: declare its data with struct() and its behaviour with functions`, posOf(st)); continue; }
    if (ts.isThrowStatement(st) || ts.isTryStatement(st)) { info.diags.report('LK1004', `${ts.isThrowStatement(st) ? 'throw' : 'try'} is not supported in *.bpf.ts`, posOf(st)); continue; }
    info.diags.report('LK1001', `${ts.SyntaxKind[st.kind]} is not supported at the top level`, posOf(st));
  }
  // Spin locks only where the kernel looks for them (one, top level, hash/array/storage values).
  for (const m of maps) {
    const why = spinLockMapProblem(m);
    const at = declared.get(m.name);
    if (why && at) info.diags.report('LK3005', why, posOf(at));
  }
  // Programs after maps, so a program may use a map declared below it.
  if (license !== undefined) info.license = license;
  for (const p of pending) {
    const prog = lowerProgram(info, p.name, p.kind, p.call);
    if (prog) programs.push(prog);
  }
  if (info.log) {
    // Logging adds a ring buffer and two rodata globals under reserved names.
    const added = logGlobals(info.log);
    for (const name of [info.log.ring.name, ...added.map((g) => g.name)]) {
      const at = declared.get(name);
      if (at) info.diags.report('LK4004', `'${name}' is reserved for kernel logging (log.info\`...\`): rename this declaration`, posOf(at));
    }
    maps.push(info.log.ring);
    globals.push(...added);
  }
  return license === undefined ? { programs, maps, globals } : { programs, maps, globals, license };
}
