// The decoded shape of every BTF type kind (include/uapi/linux/btf.h), as the
// reader returns them. Type references are plain ids (0 = void); resolve them
// with BtfReader.type(id).

/** BTF_KIND_* numbers. */
export const BtfKind = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8,
  VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15,
  FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;
export type BtfKindName = Exclude<keyof typeof BtfKind, 'UNKN'>;

/** Kind names indexed by number (index 0 is unused). */
export const BTF_KIND_NAMES: readonly (BtfKindName | undefined)[] = [
  undefined, 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST',
  'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];

/** Linkage of a FUNC (btf_func_linkage) or VAR (btf_var linkage). */
export type BtfLinkage = 'static' | 'global' | 'extern';
export const BTF_LINKAGE: readonly BtfLinkage[] = ['static', 'global', 'extern'];

interface Base<K extends BtfKindName> {
  readonly id: number;
  readonly kind: K;
  /** '' for anonymous types. */
  readonly name: string;
}

export interface BtfInt extends Base<'INT'> {
  readonly size: number;
  readonly signed: boolean;
  readonly char: boolean;
  readonly bool: boolean;
  /** Bit offset of the value inside `size` bytes (BTF_INT_OFFSET). */
  readonly bitOffset: number;
  /** Number of value bits (BTF_INT_BITS). */
  readonly bits: number;
}

/** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG only point at another type. */
export interface BtfRef<K extends 'PTR' | 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' | 'TYPE_TAG'> extends Base<K> {
  readonly type: number;
}

export interface BtfArray extends Base<'ARRAY'> {
  readonly elemType: number;
  readonly indexType: number;
  readonly nelems: number;
}

export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** Offset in bits from the start of the struct. */
  readonly bitOffset: number;
  /** Bitfield width, 0 when the member is not a bitfield. */
  readonly bitfieldSize: number;
}

export interface BtfComposite<K extends 'STRUCT' | 'UNION'> extends Base<K> {
  readonly size: number;
  readonly members: readonly BtfMember[];
}

export interface BtfEnumValue<V extends number | bigint> {
  readonly name: string;
  readonly value: V;
}

export interface BtfEnum extends Base<'ENUM'> {
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue<number>[];
}

export interface BtfEnum64 extends Base<'ENUM64'> {
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue<bigint>[];
}

export interface BtfFwd extends Base<'FWD'> {
  readonly fwdKind: 'struct' | 'union';
}

export interface BtfFunc extends Base<'FUNC'> {
  /** Id of the FUNC_PROTO. */
  readonly type: number;
  readonly linkage: BtfLinkage;
}

export interface BtfParam {
  readonly name: string;
  /** 0 with an empty name marks a variadic `...` last parameter. */
  readonly type: number;
}

export interface BtfFuncProto extends Base<'FUNC_PROTO'> {
  readonly returnType: number;
  readonly params: readonly BtfParam[];
}

export interface BtfVar extends Base<'VAR'> {
  readonly type: number;
  readonly linkage: BtfLinkage;
}

export interface BtfVarSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface BtfDatasec extends Base<'DATASEC'> {
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}

export interface BtfFloat extends Base<'FLOAT'> {
  readonly size: number;
}

export interface BtfDeclTag extends Base<'DECL_TAG'> {
  readonly type: number;
  /** -1 tags the type itself; otherwise the member or parameter index. */
  readonly componentIdx: number;
}

/** Any decoded BTF type; switch on `kind`. */
export type BtfType =
  | BtfInt | BtfRef<'PTR'> | BtfArray | BtfComposite<'STRUCT'> | BtfComposite<'UNION'> | BtfEnum
  | BtfFwd | BtfRef<'TYPEDEF'> | BtfRef<'VOLATILE'> | BtfRef<'CONST'> | BtfRef<'RESTRICT'>
  | BtfFunc | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag | BtfRef<'TYPE_TAG'> | BtfEnum64;

/** The decoded type of a given kind: BtfTypeOf<'FUNC'> is BtfFunc. */
export type BtfTypeOf<K extends BtfKindName> = Extract<BtfType, { kind: K }>;

export interface BtfHeader {
  readonly magic: number;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
}

/** Malformed BTF; `offset` is the byte offset in the input where it was found. */
export class BtfParseError extends Error {
  override name = 'BtfParseError';
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`BTF: ${message} (at byte ${offset})`);
    this.offset = offset;
  }
}
