// enum bpf_core_relo_kind (include/uapi/linux/bpf.h): what a CO-RE record asks
// the loader to compute. The short labels are libbpf's, so messages read the
// same as libbpf's debug output.

/** CO-RE relocation kinds, numbered as in the kernel's uapi. */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;
export type CoreReloKindName = keyof typeof CoreReloKind;

const LABELS = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id',
  'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
] as const;

/** libbpf's short label for a kind ("byte_off", "type_matches", ...), or "unknown". */
export function coreKindLabel(kind: number): string {
  return LABELS[kind] ?? 'unknown';
}

export function isFieldBased(kind: number): boolean {
  return kind >= CoreReloKind.FIELD_BYTE_OFFSET && kind <= CoreReloKind.FIELD_RSHIFT_U64;
}

export function isTypeBased(kind: number): boolean {
  return (kind >= CoreReloKind.TYPE_ID_LOCAL && kind <= CoreReloKind.TYPE_SIZE) || kind === CoreReloKind.TYPE_MATCHES;
}

export function isEnumvalBased(kind: number): boolean {
  return kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE;
}

/** libbpf's BPF_CORE_SPEC_MAX_LEN: deepest access path accepted. */
export const CORE_SPEC_MAX_LEN = 64;
