// Stable diagnostic codes of @lockne/compiler, one concern each. Never renumber
// or reuse a code: retire it instead. docs/language.md has the same table with
// examples; test/diagnostic-codes.test.ts keeps the two in sync.
//   LK1xxx  syntax the subset does not support
//   LK2xxx  integer types and values
//   LK3xxx  pointers, memory and the verifier's safety rules
//   LK4xxx  declarations: programs, maps, globals, compile-time constants
//   LK5xxx  limits: stack, calls, loops, size
//   LK6xxx  helpers, logging, kernel features

/** One entry of the table. */
export interface DiagnosticInfo {
  /** kebab-case name, stable like the code. */
  readonly name: string;
  readonly severity: 'error' | 'warning';
  /** One line: what is wrong. */
  readonly summary: string;
}

function d(name: string, summary: string, severity: 'error' | 'warning' = 'error'): DiagnosticInfo {
  return { name, severity, summary };
}

/** Every diagnostic the compiler can report, by code. */
export const DIAGNOSTICS = {
  LK1001: d('unsupported-syntax', 'this TypeScript construct is not part of the *.bpf.ts subset'),
  LK1002: d('closure-captures-mutable', 'a nested function captures a variable that is assigned (closures may only read captured locals)'),
  LK1003: d('class-with-methods', 'classes are not supported: declare data with struct() and behaviour with functions'),
  LK1004: d('exceptions', 'throw/try/catch are not supported: return an error code or a verdict'),
  LK1005: d('dynamic-allocation', 'no heap: object/array literals of unknown size, new (other than map declarations), spread'),
  LK1006: d('non-constant-string', 'strings exist only as compile-time constants (log formats, section and map names)'),
  LK1007: d('any-or-unknown', 'a value typed any/unknown has no layout: give it an integer, struct or pointer type'),
  LK1008: d('async-or-generator', 'async functions, await and generators are not supported'),
  LK1009: d('recursion', 'recursive calls are rejected by the verifier'),
  LK1010: d('unsupported-import', 'only @lockne/kernel and other *.bpf.ts / constant modules can be imported'),
  LK1011: d('floating-point', 'eBPF has no floating point: the value is not an integer'),
  LK1012: d('function-as-value', 'functions can be called or passed to bpf.loop/program wrappers, not stored or returned'),
  LK1013: d('unsupported-iteration', 'for..of works only over a FixedArray; for..in is not supported'),

  LK2001: d('mixed-widths', 'operands have different integer widths: convert one explicitly (u32(x), u64(x), ...)'),
  LK2002: d('literal-out-of-range', 'the literal does not fit the width the context requires'),
  LK2003: d('implicit-narrowing', 'assigning a wider integer to a narrower one needs an explicit conversion'),
  LK2004: d('signedness-mix', 'comparing, dividing or shifting signed and unsigned values needs an explicit conversion'),
  LK2005: d('width-not-inferable', 'a `let` initialised with a bare literal has no width: annotate it (let i: u32 = 0)'),
  LK2006: d('shift-out-of-range', 'constant shift amount is >= the operand width (the verifier rejects it)'),
  LK2007: d('constant-division-by-zero', 'division or modulo by constant zero (the ISA yields 0 / the dividend)', 'warning'),
  LK2008: d('unsupported-operator', 'operator not supported on integers (**, unary + on bigint, ...)'),
  LK2009: d('bool-as-integer', 'a boolean used as an integer needs an explicit conversion (u8(b))'),

  LK3001: d('unchecked-null', 'a map lookup, reserve or header() result is used before a null check'),
  LK3002: d('stale-packet-pointer', 'a header view is used after a helper that can move packet data (adjustHead, storeBytes, ...)'),
  LK3003: d('unbounded-index', 'a constant array index is out of range, or this memory cannot be indexed by a variable'),
  LK3004: d('ringbuf-record-leak', 'a reserved ring buffer record is not submitted or discarded on every path'),
  LK3005: d('spin-lock-misuse', 'a spin lock is held across a helper call, return or second lock, or not released'),
  LK3006: d('readonly-context-field', 'this context field is read-only for this program kind'),
  LK3007: d('pointer-escape', 'a pointer (map value, packet, record) cannot be stored in a map/global or outlive its scope'),
  LK3008: d('uninitialised-read', 'a variable or struct field is read before it is written'),
  LK3009: d('context-field-unavailable', 'this context field cannot be accessed by this program kind'),
  LK3010: d('layout-mismatch', 'the value does not have the layout the map, struct or helper expects'),

  LK4001: d('program-not-exported-const', 'a program wrapper must initialise a top-level `export const`'),
  LK4002: d('map-not-exported-const', 'a map declaration must initialise a top-level `export const`'),
  LK4003: d('bad-program-return', 'the program returns a value outside its kind\'s verdict type'),
  LK4004: d('duplicate-name', 'two programs, maps or globals share a name'),
  LK4005: d('not-constant', 'a compile-time constant is required here (section names, maxEntries, layouts, formats)'),
  LK4006: d('unknown-program-kind', 'unknown program kind or attach hook'),
  LK4007: d('mutable-module-state', 'module-level mutable state must be declared with rodata()/data()/bss()'),
  LK4008: d('gpl-only-helper', 'this helper needs a GPL-compatible license(...) declaration'),
  LK4009: d('rodata-write', 'a rodata() global is read-only in the kernel (set it from userspace before load)'),

  LK5001: d('stack-overflow', 'the function needs more than 512 bytes of stack'),
  LK5002: d('call-depth', 'the call chain is deeper than 8 frames or its combined stack exceeds 512 bytes'),
  LK5003: d('unbounded-loop', 'the loop has no bound the verifier can prove: use a constant bound or bpf.loop'),
  LK5004: d('too-many-parameters', 'functions take at most 5 parameters (eBPF passes arguments in R1-R5)'),
  LK5005: d('program-too-large', 'the program exceeds the instruction or jump-offset limits'),
  LK5006: d('loop-count-too-large', 'bpf.loop runs at most 2^23 iterations'),

  LK6001: d('helper-unavailable', 'this helper or context method is not allowed in this program kind'),
  LK6002: d('map-argument-required', 'the argument must be a map declared at module level'),
  LK6003: d('bad-log-format', 'log templates take at most 8 integer/bool substitutions and a constant text'),
  LK6004: d('tail-call-target', 'tailCall needs a ProgramArray declared at module level and an integer index'),
} as const satisfies Record<string, DiagnosticInfo>;

/** A stable code: 'LK1001' ... */
export type DiagnosticCode = keyof typeof DIAGNOSTICS;

/** Look up a code's entry; undefined for unknown strings. */
export function diagnosticInfo(code: string): DiagnosticInfo | undefined {
  return (DIAGNOSTICS as Record<string, DiagnosticInfo>)[code];
}
