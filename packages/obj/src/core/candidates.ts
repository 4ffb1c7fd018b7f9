// CO-RE candidates (libbpf's bpf_core_find_cands): the target types whose
// essential (flavour-less) name equals the local type's. They are found by
// name through the target's string table, not by walking every type: a type
// whose essential name is `X` is named either `X` or `X___flavour`, so the
// ids named `X` or starting with `X___` (BtfReader.idsByNameOrSuffixed),
// filtered by their full essential name, are all of them. This decodes only
// the few types involved instead of naming all ~127 000 vmlinux types (~45 ms
// on a first load). Functions, variables, sections and decl tags never match (libbpf's
// compatibility checks reject them), and pointers, arrays, protos and
// qualifiers are anonymous, so only the kinds below are candidates.
//
// @example
// const cands = findCandidates(objectBtf, rootId, kernelBtf); // [{ btf, id }, ...] in id order
import type { BtfKindName, BtfReader } from '../btf/reader.js';
import { essentialName, kindCoreCompat, typeAt } from './btf-ops.js';

const NAMED_KINDS = new Set<BtfKindName>(['INT', 'STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD', 'TYPEDEF', 'FLOAT', 'TYPE_TAG']);

/** One place a local type may live in the target: a BTF and a type id in it. */
export interface CoreCandidate {
  btf: BtfReader;
  id: number;
}

/** Per target BTF: essential name -> its own ids of a candidate kind, in id order. */
const byEssentialName = new WeakMap<BtfReader, Map<string, readonly number[]>>();

/**
 * Ids defined by `btf` itself (not its base) of a kind that can be a CO-RE
 * candidate and whose essential name is `key`, in id order. Cached per BTF.
 * @example
 * idsByEssentialName(vmlinux, 'task_struct'); // [id of struct task_struct]
 */
export function idsByEssentialName(btf: BtfReader, key: string): readonly number[] {
  let cache = byEssentialName.get(btf);
  if (!cache) byEssentialName.set(btf, (cache = new Map()));
  const hit = cache.get(key);
  if (hit) return hit;
  let ids: number[] = [];
  if (key !== '') {
    ids = btf.idsByNameOrSuffixed(key, '___').filter((id) =>
      id >= btf.firstId && NAMED_KINDS.has(btf.kind(id)) && essentialName(btf.name(id)) === key);
  }
  cache.set(key, ids);
  return ids;
}

/**
 * Candidates for local type `localId` (bpf_core_find_cands): the types with
 * the same essential name and a compatible kind, in id order, from `main`
 * (vmlinux or a user-given BTF); only when it has none, from every module BTF.
 */
export function findCandidates(local: BtfReader, localId: number, main: BtfReader, modules: readonly BtfReader[] = []): CoreCandidate[] {
  const lt = typeAt(local, localId);
  const key = essentialName(lt.name);
  const from = (btf: BtfReader): CoreCandidate[] =>
    idsByEssentialName(btf, key).filter((id) => kindCoreCompat(btf.type(id), lt)).map((id) => ({ btf, id }));
  const found = from(main);
  return found.length > 0 ? found : modules.flatMap(from);
}
