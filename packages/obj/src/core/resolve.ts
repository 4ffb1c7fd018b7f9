// CO-RE resolution of one record against a target BTF, libbpf's
// bpf_core_calc_relo_insn: parse the local spec, collect the target
// candidates (cached per local root type, and pruned to those that matched,
// exactly as libbpf prunes its cache), match and compute each candidate,
// require that all matches agree, and fall back to the "not found" result
// (0 for existence kinds, poison for the rest) when none matches.
//
// @example
// const resolver = new CoreResolver(BtfReader.parse(objBtf), BtfReader.parse(fs.readFileSync('/sys/kernel/btf/vmlinux')));
// const r = resolver.resolve({ typeId: 12, accessStr: '0:1', kind: CoreReloKind.FIELD_BYTE_OFFSET });
// r.poison ? console.log(r.explanation) : console.log(r.origValue, '->', r.newValue);
import type { BtfReader } from '../btf/reader.js';
import type { CoreRelo } from '../object/spec.js';
import { CoreReloError, CoreSpecError, type CoreReloErrorContext } from './errors.js';
import { CoreReloKind, coreKindLabel, isFieldBased } from './kinds.js';
import { formatSpec, parseSpec, type CoreSpec } from './access.js';
import { describeType, typeAt } from './btf-ops.js';
import { calcRelo, type CoreCalc } from './calc.js';
import { findCandidates, type CoreCandidate } from './candidates.js';
import { matchSpec } from './spec-match.js';

/** The part of a CO-RE record resolution needs. */
export type CoreReloQuery = Pick<CoreRelo, 'typeId' | 'accessStr' | 'kind'>;

/** Where a record sits, for error messages. */
export interface CoreReloWhere {
  program?: string;
  reloIndex?: number;
  insn?: number;
}

/** The decision for one record: values to patch, or a poison request with its reason. */
export interface CoreResult extends CoreCalc {
  kind: number;
  /** libbpf's label for the kind ("byte_off", ...). */
  kindLabel: string;
  /** The local access, e.g. "<byte_off> [2] struct foo___v1.b (0:1 @ offset 4)". */
  local: string;
  /** The first matching target access, when one matched. */
  target?: string;
  /** Target root type id of the first matching candidate. */
  targetTypeId?: number;
  /** How many candidates matched (0: not found in the target). */
  matched: number;
  /** Why the instruction is poisoned (set when `poison`). */
  reason?: string;
  /** One line for logs and error messages. */
  explanation: string;
}

export interface CoreResolverOptions {
  /** Module BTFs (split on top of `target`), searched only when `target` has no candidate. */
  modules?: readonly BtfReader[];
  /** Name of the target in messages; default 'vmlinux'. */
  targetName?: string;
}

/**
 * Resolves CO-RE records of one object (its BTF: `local`) against a target
 * BTF. Use one per object and resolve its records in .BTF.ext order: like
 * libbpf's, the candidate cache is shared by all records of the object and
 * shrinks as records match.
 * @example
 * const resolver = new CoreResolver(objectBtf, kernelBtf);
 * const res = resolver.resolve(relo, { program: 'handle_exec', insn: relo.insnOff });
 * patchCoreInsn(insns, relo.insnOff, res, relo);
 */
export class CoreResolver {
  readonly local: BtfReader;
  readonly target: BtfReader;
  readonly #modules: readonly BtfReader[];
  readonly #targetName: string;
  /** Candidates per local root type id; pruned to the matching ones as relocations resolve. */
  readonly #cands = new Map<number, CoreCandidate[]>();

  constructor(local: BtfReader, target: BtfReader, opts: CoreResolverOptions = {}) {
    this.local = local;
    this.target = target;
    this.#modules = opts.modules ?? [];
    this.#targetName = opts.targetName ?? 'vmlinux';
  }

  /** Resolve one record. Throws CoreReloError when libbpf would fail the load. */
  resolve(relo: CoreReloQuery, where: CoreReloWhere = {}): CoreResult {
    const ctx: CoreReloErrorContext = { ...where, kind: relo.kind, typeId: relo.typeId, accessStr: relo.accessStr };
    // As libbpf: candidates are looked up (and anonymous roots refused) before the access string is parsed.
    if (relo.kind !== CoreReloKind.TYPE_ID_LOCAL) {
      let root;
      try {
        root = typeAt(this.local, relo.typeId);
      } catch (e) {
        throw wrap(e, ctx, `local type [${relo.typeId}]`);
      }
      if (root.name === '') {
        throw new CoreReloError('EINVAL', ctx, `target candidate search failed for ${describeType(root)}: CO-RE relocations against anonymous types are not supported`);
      }
    }
    let spec: CoreSpec;
    try {
      spec = parseSpec(this.local, relo.typeId, relo.accessStr, relo.kind);
    } catch (e) {
      throw wrap(e, ctx, `parsing ${this.#describeLocal(relo.typeId)} + '${relo.accessStr}' (${coreKindLabel(relo.kind)}) failed`);
    }
    const local = formatSpec(spec);
    try {
      return this.#resolve(relo.kind, spec, local);
    } catch (e) {
      throw wrap(e, ctx, local);
    }
  }

  #describeLocal(id: number): string {
    try {
      return describeType(typeAt(this.local, id));
    } catch {
      return `[${id}]`;
    }
  }

  #resolve(kind: number, spec: CoreSpec, local: string): CoreResult {
    const base = { kind, kindLabel: coreKindLabel(kind), local };
    if (kind === CoreReloKind.TYPE_ID_LOCAL) {
      // The instruction's id may be stale after linking: never validated.
      const id = BigInt(spec.rootTypeId);
      return {
        ...base, origValue: id, newValue: id, poison: false, validate: false, failMemSizeAdjust: false,
        origSize: 0, newSize: 0, origTypeId: 0, newTypeId: 0, matched: 0, explanation: `${local}: local type id ${id}`,
      };
    }
    const rootName = typeAt(this.local, spec.rootTypeId).name;

    let cands = this.#cands.get(spec.rootTypeId);
    if (!cands) {
      cands = findCandidates(this.local, spec.rootTypeId, this.target, this.#modules);
      this.#cands.set(spec.rootTypeId, cands);
    }

    let first: { calc: CoreCalc; spec: CoreSpec; text: string } | undefined;
    const kept: CoreCandidate[] = [];
    for (const cand of cands) {
      const ts = matchSpec(spec, cand.btf, cand.id);
      if (!ts) continue;
      const calc = calcRelo(kind, spec, ts);
      const text = formatSpec(ts);
      if (!first) {
        first = { calc, spec: ts, text };
      } else if (ts.bitOffset !== first.spec.bitOffset) {
        throw new CoreSpecError('EINVAL', `field offset ambiguity between candidates ${first.text} and ${text}: bit ${ts.bitOffset} != ${first.spec.bitOffset}`);
      } else if (calc.poison !== first.calc.poison || calc.newValue !== first.calc.newValue) {
        const d = (c: CoreCalc): string => `${c.poison ? 'failure' : 'success'} ${c.newValue}`;
        throw new CoreSpecError('EINVAL', `relocation decision ambiguity between candidates ${first.text} and ${text}: ${d(calc)} != ${d(first.calc)}`);
      }
      kept.push(cand);
    }
    // Later relocations against this type only consider the candidates that matched.
    if (kept.length > 0) this.#cands.set(spec.rootTypeId, kept);

    if (first) {
      const { calc } = first;
      const what = calc.poison ? 'poisoned' : `${calc.origValue} -> ${calc.newValue}`;
      return {
        ...base, ...calc, target: first.text, targetTypeId: first.spec.rootTypeId, matched: kept.length,
        ...(calc.poison ? { reason: `${first.text} cannot be relocated` } : {}),
        explanation: `${local} => ${first.text}: ${what}`,
      };
    }
    const calc = calcRelo(kind, spec, undefined);
    const missing = isFieldBased(kind) ? 'field' : kind === CoreReloKind.ENUMVAL_VALUE || kind === CoreReloKind.ENUMVAL_EXISTS ? 'enumerator' : 'type';
    const why = cands.length === 0
      ? `no type named '${rootName}' (ignoring ___flavour suffixes) of a compatible kind in ${this.#targetName}`
      : `the ${missing} is not in any of ${cands.length} candidate(s) in ${this.#targetName} (${cands.map((c) => describeType(c.btf.type(c.id))).join(', ')})`;
    return {
      ...base, ...calc, matched: 0,
      ...(calc.poison ? { reason: why } : {}),
      explanation: `${local}: ${why}: ${calc.poison ? 'poisoned' : `${calc.origValue} -> ${calc.newValue}`}`,
    };
  }
}

function wrap(e: unknown, ctx: CoreReloErrorContext, what: string): Error {
  if (e instanceof CoreReloError) return e;
  if (e instanceof CoreSpecError) return new CoreReloError(e.errno, ctx, `${what}: ${e.message}`);
  return e instanceof Error ? e : new Error(String(e));
}
