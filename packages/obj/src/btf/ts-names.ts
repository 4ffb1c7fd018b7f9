// Identifier rules for the BTF → TypeScript printer: which words TypeScript
// refuses as type, value or parameter names, how a BTF name becomes a valid
// identifier, and the allocator that keeps every declared name unique (C has
// separate struct/union/enum/typedef namespaces and vmlinux holds several
// distinct types of one name; TypeScript has one namespace for all of them).

/** A BTF graph the printer cannot express (malformed BTF), or an unknown root name. */
export class BtfTsError extends Error {
  override name = 'BtfTsError';
}

/** Words that cannot name a type, an enum, a function or a parameter. */
const RESERVED = new Set([
  // reserved words
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null',
  'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with',
  // strict mode
  'implements', 'interface', 'let', 'package', 'private', 'protected', 'public', 'static', 'yield', 'await',
  'arguments', 'eval',
  // predefined type names (an interface or alias may not be called these)
  'any', 'unknown', 'never', 'string', 'number', 'boolean', 'symbol', 'object', 'bigint', 'undefined', 'intrinsic',
]);

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** True when `name` can be written bare as a property or enum member name. */
export const isIdentifier = (name: string): boolean => IDENT.test(name);

/** `name` as a property/enum member key: bare when it is an identifier, else quoted. */
export const propertyKey = (name: string): string => (IDENT.test(name) ? name : JSON.stringify(name));

/**
 * `name` as a declaration or parameter name: characters an identifier cannot
 * hold become '_' (vmlinux built with Rust has names such as `core::fmt::Arguments`),
 * and reserved words get a leading '_' (`default` → `_default`).
 */
export function escapeIdentifier(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_$]/g, '_');
  if (id === '' || /^[0-9]/.test(id)) id = `_${id}`;
  return RESERVED.has(id) ? `_${id}` : id;
}

/**
 * Hands out unique identifiers: the first holder of a name keeps it, later
 * ones get bpftool's `___2`, `___3` suffixes. Reserved names (the prelude's)
 * are escaped like reserved words.
 */
export class NameAllocator {
  readonly #taken = new Set<string>();
  readonly #reserved: ReadonlySet<string>;

  constructor(reserved: Iterable<string> = []) {
    this.#reserved = new Set(reserved);
  }

  /** Mark `name` as used without allocating it (names declared elsewhere). */
  claim(name: string): void {
    this.#taken.add(name);
  }

  has(name: string): boolean {
    return this.#taken.has(name);
  }

  /** A unique identifier for the BTF name `raw`. */
  allocate(raw: string): string {
    let base = escapeIdentifier(raw);
    if (this.#reserved.has(base)) base = `_${base}`;
    let name = base;
    for (let n = 2; this.#taken.has(name) || this.#reserved.has(name); n++) name = `${base}___${n}`;
    this.#taken.add(name);
    return name;
  }
}

/**
 * Unique names within one scope (an interface's members, a function's
 * parameters): a repeated name gets `___2`, `___3`.
 */
export class ScopeNames {
  readonly #used = new Set<string>();

  take(name: string): string {
    let out = name;
    for (let n = 2; this.#used.has(out); n++) out = `${name}___${n}`;
    this.#used.add(out);
    return out;
  }
}
