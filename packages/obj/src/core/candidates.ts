// Target types indexed by essential name, built once per target BTF (about
// 40 ms for vmlinux) and shared by every resolver using that BTF. Only kinds
// that can ever satisfy a CO-RE relocation are indexed: functions, variables,
// sections and decl tags never match (libbpf's compatibility checks reject
// them), and pointers, arrays, protos and qualifiers are anonymous.
import type { BtfKindName, BtfReader } from '../btf/reader.js';
import { essentialName, kindCoreCompat, typeAt } from './btf-ops.js';

const INDEXED = new Set<BtfKindName>(['INT', 'STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD', 'TYPEDEF', 'FLOAT', 'TYPE_TAG']);

/** One place a local type may live in the target: a BTF and a type id in it. */
export interface CoreCandidate {
  btf: BtfReader;
  id: number;
}

const indexes = new WeakMap<BtfReader, Map<string, number[]>>();

/** Ids defined by `btf` itself (not its base), grouped by essential name. */
export function essentialNameIndex(btf: BtfReader): Map<string, number[]> {
  let index = indexes.get(btf);
  if (index) return index;
  index = new Map();
  for (let id = btf.firstId; id <= btf.lastId; id++) {
    if (!INDEXED.has(btf.kind(id))) continue;
    const name = btf.name(id);
    if (name === '') continue;
    const key = essentialName(name);
    const list = index.get(key);
    if (list) list.push(id);
    else index.set(key, [id]);
  }
  indexes.set(btf, index);
  return index;
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
    (essentialNameIndex(btf).get(key) ?? []).filter((id) => kindCoreCompat(btf.type(id), lt)).map((id) => ({ btf, id }));
  const found = from(main);
  return found.length > 0 ? found : modules.flatMap(from);
}
