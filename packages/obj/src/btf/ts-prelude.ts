// The scalar and helper types the BTF → TypeScript printer refers to: either
// printed at the top of the output (self-contained) or imported from a module
// that declares the same names (e.g. '@lockne/kernel').

/** Integer names by byte size, unsigned and signed. */
const INTS: Readonly<Record<number, readonly [string, string]>> = {
  1: ['u8', 'i8'], 2: ['u16', 'i16'], 4: ['u32', 'i32'], 8: ['u64', 'i64'], 16: ['u128', 'i128'],
};

/** Float names by byte size (12 and 16 are both C `long double`). */
const FLOATS: Readonly<Record<number, string>> = { 2: 'f16', 4: 'f32', 8: 'f64', 12: 'f128', 16: 'f128' };

/** Every name the prelude declares (the printer never gives these to a BTF type). */
export const PRELUDE_NAMES: readonly string[] = [
  'u8', 'u16', 'u32', 'u64', 'u128', 'i8', 'i16', 'i32', 'i64', 'i128', 'bool', 'f16', 'f32', 'f64', 'f128',
  'Ptr', 'FixedArray', 'Opaque',
];

/** Private symbol names of the self-contained prelude (reserved too: an enum may not reuse them). */
export const PRELUDE_SYMBOLS: readonly string[] = ['__lk_width', '__lk_pointee', '__lk_opaque'];

/** The prelude name of an integer, or undefined for sizes BTF does not allow. */
export function intName(size: number, signed: boolean, bool: boolean): string | undefined {
  if (bool) return 'bool';
  const pair = INTS[size];
  return pair ? pair[signed ? 1 : 0] : undefined;
}

/** The prelude name of a float, or undefined for sizes it has none for. */
export function floatName(size: number): string | undefined {
  return FLOATS[size];
}

/** The self-contained prelude. */
export function inlinePrelude(): string {
  const lines = [
    '// Scalars carry their width as a brand, so u8 and u64 never mix silently; 64- and',
    '// 128-bit integers are bigint (no precision lost above 2^53).',
    'declare const __lk_width: unique symbol;',
    'declare const __lk_pointee: unique symbol;',
    'declare const __lk_opaque: unique symbol;',
  ];
  for (const size of [1, 2, 4, 8, 16]) {
    const base = size >= 8 ? 'bigint' : 'number';
    for (const name of INTS[size]!) lines.push(`export type ${name} = ${base} & { readonly [__lk_width]: '${name}' };`);
  }
  lines.push('export type bool = boolean;');
  for (const name of ['f16', 'f32', 'f64', 'f128']) lines.push(`export type ${name} = number & { readonly [__lk_width]: '${name}' };`);
  lines.push(
    '/** A pointer to a T in kernel or BPF memory. */',
    'export interface Ptr<T> { readonly [__lk_pointee]: T }',
    '/** A C array of exactly N elements. */',
    'export interface FixedArray<T, N extends number> { readonly length: N; [index: number]: T }',
    '/** A struct or union known only by name (a forward declaration). */',
    'export interface Opaque<Tag extends string> { readonly [__lk_opaque]: Tag }',
  );
  return lines.join('\n');
}

/** An import of every prelude name from `module`. */
export function importPrelude(module: string): string {
  return `import type { ${PRELUDE_NAMES.join(', ')} } from ${JSON.stringify(module)};`;
}
