// Kernel structs read with CO-RE (compile once, run everywhere): declare the part
// of a kernel struct a program reads, with the kernel's field names, and read it
// through a kernel address. The compiler emits BTF for the declared subset (named
// as in the kernel) and marks each field offset with a CO-RE relocation, so the
// loader (libbpf, bpftool or @lockne/bpf) moves it to where the running kernel
// keeps the field. See docs/language.md, "Kernel structs (CO-RE)".
import type { u64, i64, u32 } from './ints.js';
import type { TypeDesc, Infer } from './types.js';
import type { FieldLayout, FixedArray } from './struct.js';
import { kernelOnly } from './kernel-only.js';

declare const fieldsOf: unique symbol;
declare const kernelRefTo: unique symbol;

/**
 * A trusted pointer to the kernel's `struct S` (the verifier's PTR_TO_BTF_ID),
 * as `bpf.getCurrentTaskBtf()` returns it. Not a number: it cannot be mixed with
 * a `u64` address, compared, stored in a map or global, or used in arithmetic.
 * `core.read(Task, ref, 'field')` reads through it with a plain load (no
 * probe_read); a pointer field read through it is again a `KernelRef`.
 * @example
 * const task: KernelRef<'task_struct'> = bpf.getCurrentTaskBtf();
 * const ppid = core.read(Task, core.read(Task, task, 'real_parent'), 'tgid');
 */
export interface KernelRef<S extends string> {
  readonly [kernelRefTo]: S;
}

/** `task_struct` for `task_struct___v1`: libbpf's flavour suffix names the same kernel struct. */
export type KernelName<N extends string> = N extends `${infer B}___${string}` ? B : N;

/** A pointer member of a kernel struct: read, it is the kernel address it holds (a `u64`). */
export interface KernelPtrDesc<S extends string = string> extends TypeDesc<u64> {
  readonly kind: 'int';
  readonly signed: false;
  /** The C struct it points to (`task_struct`): BTF `struct <pointee> *`. */
  readonly pointee: S;
}

/**
 * A pointer field of a kernel struct, to `struct <name>`. Reading it gives the
 * address as a `u64`, the base for the next `core.read`.
 * @example kernelStruct('task_struct', { real_parent: kernelPtr('task_struct') })
 */
export function kernelPtr<S extends string>(pointee: S): KernelPtrDesc<S> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(pointee)) throw new TypeError(`kernelPtr(${JSON.stringify(pointee)}): not a C identifier`);
  return { kind: 'int', name: `struct ${pointee} *`, size: 8, align: 8, signed: false, pointee };
}

type KernelFields = Record<string, TypeDesc<unknown>>;

/** The subset of a kernel struct a program reads (kernelStruct()). Not a value layout: read it with `core.*`. */
export interface KernelStructDesc<F extends KernelFields = KernelFields, N extends string = string> {
  readonly kind: 'kernelStruct';
  /** The kernel's struct name, possibly with a libbpf flavour suffix (`task_struct___v1`). */
  readonly name: N;
  /** Laid out locally with C alignment; the loader relocates every offset to the running kernel's. */
  readonly fields: readonly FieldLayout[];
  readonly size: number;
  readonly align: number;
  readonly [fieldsOf]?: F;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Declare the members of kernel struct `name` that a program reads, with the
 * kernel's field names (`real_parent`, not `realParent`) and compatible types:
 * integers of any width (a read copies the declared width), `kernelPtr(...)` for
 * pointers, `array(u8, N)` for char arrays. Only the declared members go into the
 * object's BTF; their offsets are relocated at load, so the local layout does not
 * matter. A `___suffix` flavour (`task_struct___old`) matches the kernel's
 * `task_struct` too (libbpf convention), to describe the same struct twice.
 * @example
 * export const Task = kernelStruct('task_struct', {
 *   pid: i32, tgid: i32, real_parent: kernelPtr('task_struct'), comm: array(u8, 16),
 * });
 */
export function kernelStruct<const N extends string, F extends KernelFields>(name: N, fields: F): KernelStructDesc<F, N> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`kernelStruct(${JSON.stringify(name)}): not a C identifier`);
  const out: FieldLayout[] = [];
  let off = 0;
  let maxAlign = 1;
  for (const [fname, type] of Object.entries(fields)) {
    if (type === undefined || typeof type.size !== 'number') throw new TypeError(`kernelStruct ${name}: field ${fname} has no layout`);
    off = align(off, type.align);
    out.push({ name: fname, offset: off, type });
    off += type.size;
    maxAlign = Math.max(maxAlign, type.align);
  }
  if (out.length === 0) throw new TypeError(`kernelStruct ${name}: no fields`);
  return { kind: 'kernelStruct', name, fields: out, size: align(off, maxAlign), align: maxAlign };
}

type FieldsOf<S> = S extends KernelStructDesc<infer F> ? F : never;
/** Field names of a kernel struct declaration. */
export type KernelField<S> = keyof FieldsOf<S> & string;
/** The value type of field `K` (`u64` for a pointer). */
export type KernelFieldValue<S, K extends KernelField<S>> = Infer<FieldsOf<S>[K]>;
/** The kernel struct a declaration describes (`task_struct` for `kernelStruct('task_struct___v1', ...)`). */
export type KernelStructName<S> = S extends KernelStructDesc<KernelFields, infer N> ? KernelName<N> : never;
/** Field `K` read through a `KernelRef`: a pointer member is a `KernelRef` to its pointee, the rest as declared. */
export type KernelRefFieldValue<S, K extends KernelField<S>> =
  FieldsOf<S>[K] extends KernelPtrDesc<infer P> ? KernelRef<P> : KernelFieldValue<S, K>;

/**
 * `BPF_CORE_READ(base, field)`: read `field` of kernel struct `S` at `base`, its
 * offset relocated at load to where the running kernel keeps it. GPL-only.
 *
 * - `base` a `u64` kernel address (`bpf.getCurrentTask()`, iter's `ctx.task`):
 *   bpf_probe_read_kernel of the declared width. Integers and pointers come back
 *   as values (0 when the read faults; a pointer as a `u64` address); an array as
 *   a copy on the stack. Kernel 5.5.
 * - `base` a `KernelRef` (`bpf.getCurrentTaskBtf()`): a plain load, as clang emits
 *   `task->tgid` under preserve_access_index, checked by the verifier against the
 *   kernel's BTF; a pointer field comes back as a `KernelRef` to read through
 *   again; an array is copied with bpf_probe_read_kernel. Kernel 5.11.
 * @example
 * const ppid = core.read(Task, core.read(Task, bpf.getCurrentTask(), 'real_parent'), 'tgid');
 * const t = bpf.getCurrentTaskBtf();
 * const ppid2 = core.read(Task, core.read(Task, t, 'real_parent'), 'tgid'); // loads only
 */
export function read<S extends KernelStructDesc, K extends KernelField<S>, B extends u64 | KernelRef<KernelStructName<S>>>(
  _struct: S, _base: B, _field: K,
): B extends KernelRef<string> ? KernelRefFieldValue<S, K> : KernelFieldValue<S, K> {
  return kernelOnly('core.read');
}

/**
 * Copy array `field` (e.g. `comm`) of the struct at `base` into `into`, a fixed
 * array of the same size in a map value or stack struct, without a stack copy.
 * Returns 0 or a negative errno (then `into` is zeroed). GPL-only. Kernel 5.5.
 * @example const v = seen.lookup(k); if (v !== null) core.readInto(v.value.comm, Task, task, 'comm');
 */
export function readInto<S extends KernelStructDesc, K extends KernelField<S>>(_into: FixedArray<unknown, number> & KernelFieldValue<S, K>, _struct: S, _base: u64 | KernelRef<KernelStructName<S>>, _field: K): i64 {
  return kernelOnly('core.readInto');
}

/**
 * `bpf_core_field_exists`: 1 when the running kernel's struct has `field`, else 0
 * (a constant the loader patches in; the verifier drops the dead branch).
 * @example if (core.fieldExists(Task, 'loginuid') === 1) ...
 */
export function fieldExists<S extends KernelStructDesc>(_struct: S, _field: KernelField<S>): u32 {
  return kernelOnly('core.fieldExists');
}

/**
 * `bpf_core_field_size`: the size in bytes of `field` in the running kernel (the
 * declared size locally, patched at load).
 * @example const n = core.fieldSize(Task, 'comm'); // 16
 */
export function fieldSize<S extends KernelStructDesc>(_struct: S, _field: KernelField<S>): u32 {
  return kernelOnly('core.fieldSize');
}

/**
 * `bpf_core_type_exists`: 1 when the running kernel has the struct at all, else 0.
 * @example if (core.structExists(OldTask) === 1) ...
 */
export function structExists(_struct: KernelStructDesc): u32 {
  return kernelOnly('core.structExists');
}
