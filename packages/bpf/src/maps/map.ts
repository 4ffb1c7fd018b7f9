// BpfMap: create a map (BPF_MAP_CREATE) and use its elements.
import { FdHandle } from '../fd.js';
import { bpfRaw } from '../sys/syscall.js';
import { encode, readString, readU32, read } from '../sys/layout.js';
import { MapCreateAttr, MapElemAttr, MapInfo } from '../sys/attrs.js';
import { MapType, UpdateFlags, enumName, type MapTypeName } from '../sys/consts.js';
import { objInfo } from '../sys/info.js';
import { Errno } from '../sys/errno.js';
import { ArgumentError, SyscallError } from '../errors.js';
import { bytes, type Codec } from './codec.js';

export interface MapCreateOptions<K, V> {
  type: MapTypeName | number;
  /** Key codec; or give keySize for raw Uint8Array keys. */
  key?: Codec<K>;
  keySize?: number;
  /** Value codec; or give valueSize for raw Uint8Array values. */
  value?: Codec<V>;
  valueSize?: number;
  maxEntries: number;
  /** BPF_F_* map flags (MapFlags). */
  flags?: number;
  /** Up to 15 characters of [A-Za-z0-9_.]. */
  name?: string;
  /** Inner map template for ARRAY_OF_MAPS / HASH_OF_MAPS. */
  innerMapFd?: number;
  numaNode?: number;
  /** map_extra: bloom filter hash count, arena address... */
  mapExtra?: bigint | number;
  ifindex?: number;
  btf?: { fd: number; keyTypeId: number; valueTypeId: number; vmlinuxValueTypeId?: number };
}

export interface MapInfoResult {
  id: number;
  type: number;
  typeName: string;
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  btfId: number;
  mapExtra: bigint;
}

export function mapTypeNumber(t: MapTypeName | number): number {
  if (typeof t === 'number') return t;
  const n = MapType[t];
  if (n === undefined) throw new ArgumentError(`unknown map type '${t}'`);
  return n;
}

/**
 * A map and its elements, with keys and values encoded by codecs.
 *
 * @example
 * const m = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 16, name: 'counts' });
 * m.set(1, 10n); m.get(1); // 10n
 * m.close();
 */
export class BpfMap<K = Uint8Array, V = Uint8Array> {
  readonly handle: FdHandle;
  readonly type: number;
  readonly name: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;

  constructor(fd: number, props: { type: number; name: string; keySize: number; valueSize: number; maxEntries: number; flags: number; key?: Codec<K>; value?: Codec<V> }) {
    this.type = props.type;
    this.name = props.name;
    this.keySize = props.keySize;
    this.valueSize = props.valueSize;
    this.maxEntries = props.maxEntries;
    this.flags = props.flags;
    this.handle = new FdHandle(fd, `map '${props.name || enumName(MapType, props.type)}'`);
    this.keyCodec = props.key ?? (bytes(props.keySize) as unknown as Codec<K>);
    this.valueCodec = props.value ?? (bytes(props.valueSize) as unknown as Codec<V>);
    if (this.keyCodec.size !== props.keySize) {
      throw new ArgumentError(`${this.handle.description}: key codec is ${this.keyCodec.size} bytes, map key is ${props.keySize}`);
    }
  }

  get fd(): number {
    return this.handle.fd;
  }

  /** Create a map; sizes come from the codecs unless given. */
  static create<K = Uint8Array, V = Uint8Array>(opts: MapCreateOptions<K, V>): BpfMap<K, V> {
    const type = mapTypeNumber(opts.type);
    const keySize = opts.keySize ?? opts.key?.size ?? 0;
    const valueSize = opts.valueSize ?? opts.value?.size ?? 0;
    if (opts.key && opts.keySize !== undefined && opts.key.size !== opts.keySize) {
      throw new ArgumentError(`map '${opts.name ?? ''}': keySize ${opts.keySize} but key codec is ${opts.key.size} bytes`);
    }
    const name = opts.name ?? '';
    if (name && !/^[A-Za-z0-9_.]{1,15}$/.test(name)) {
      throw new ArgumentError(`map name '${name}': use at most 15 of [A-Za-z0-9_.]`);
    }
    const { ret } = bpfRaw('MAP_CREATE', encode(MapCreateAttr, {
      map_type: type,
      key_size: keySize,
      value_size: valueSize,
      max_entries: opts.maxEntries,
      map_flags: opts.flags ?? 0,
      inner_map_fd: opts.innerMapFd ?? 0,
      numa_node: opts.numaNode ?? 0,
      map_name: name,
      map_ifindex: opts.ifindex ?? 0,
      btf_fd: opts.btf?.fd ?? 0,
      btf_key_type_id: opts.btf?.keyTypeId ?? 0,
      btf_value_type_id: opts.btf?.valueTypeId ?? 0,
      btf_vmlinux_value_type_id: opts.btf?.vmlinuxValueTypeId ?? 0,
      map_extra: BigInt(opts.mapExtra ?? 0),
    }));
    if (ret < 0) {
      throw new SyscallError('BPF_MAP_CREATE', -ret,
        `${enumName(MapType, type)} map '${name}' key ${keySize} value ${valueSize} max_entries ${opts.maxEntries}`);
    }
    return new BpfMap<K, V>(ret, { type, name, keySize, valueSize, maxEntries: opts.maxEntries, flags: opts.flags ?? 0, key: opts.key, value: opts.value });
  }

  /** Bytes of a key, checked against the map's key size before any syscall. */
  encodeKey(key: K): Uint8Array {
    const out = new Uint8Array(this.keySize);
    this.keyCodec.encode(key, out);
    return out;
  }

  encodeValue(value: V): Uint8Array {
    const out = new Uint8Array(this.valueBufferSize());
    this.valueCodec.encode(value, out);
    return out;
  }

  /** Size of the buffer a lookup fills (per-CPU maps override this). */
  valueBufferSize(): number {
    return this.valueSize;
  }

  /** The value for `key`, or undefined when absent. */
  get(key: K, flags = 0): V | undefined {
    const raw = this.getBytes(this.encodeKey(key), flags);
    return raw ? this.valueCodec.decode(raw) : undefined;
  }

  /** Raw lookup: the value bytes, or undefined on ENOENT. */
  getBytes(key: Uint8Array | null, flags = 0): Uint8Array | undefined {
    const out = new Uint8Array(this.valueBufferSize());
    const { ret } = bpfRaw('MAP_LOOKUP_ELEM', encode(MapElemAttr, { map_fd: this.fd, key, value: out, flags }));
    if (ret === -Errno.ENOENT) return undefined;
    if (ret < 0) throw new SyscallError('BPF_MAP_LOOKUP_ELEM', -ret, this.handle.description);
    return out;
  }

  /** Insert or replace (flags: UpdateFlags.NOEXIST / EXIST / F_LOCK). */
  set(key: K, value: V, flags: number = UpdateFlags.ANY): void {
    this.setBytes(this.encodeKey(key), this.encodeValue(value), flags);
  }

  setBytes(key: Uint8Array | null, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    const { ret } = bpfRaw('MAP_UPDATE_ELEM', encode(MapElemAttr, { map_fd: this.fd, key, value, flags }));
    if (ret < 0) throw new SyscallError('BPF_MAP_UPDATE_ELEM', -ret, this.handle.description);
  }

  /** Remove `key`; false when it was absent. */
  delete(key: K): boolean {
    const { ret } = bpfRaw('MAP_DELETE_ELEM', encode(MapElemAttr, { map_fd: this.fd, key: this.encodeKey(key) }));
    if (ret === -Errno.ENOENT) return false;
    if (ret < 0) throw new SyscallError('BPF_MAP_DELETE_ELEM', -ret, this.handle.description);
    return true;
  }

  /** The key after `key` (or the first key when null); undefined at the end. */
  nextKeyBytes(key: Uint8Array | null): Uint8Array | undefined {
    const next = new Uint8Array(this.keySize);
    const { ret } = bpfRaw('MAP_GET_NEXT_KEY', encode(MapElemAttr, { map_fd: this.fd, key, next_key: next }));
    if (ret === -Errno.ENOENT) return undefined;
    if (ret < 0) throw new SyscallError('BPF_MAP_GET_NEXT_KEY', -ret, this.handle.description);
    return next;
  }

  /** Iterate keys with BPF_MAP_GET_NEXT_KEY. */
  *keys(): Generator<K> {
    for (let k = this.nextKeyBytes(null); k; k = this.nextKeyBytes(k)) yield this.keyCodec.decode(k);
  }

  /** Iterate [key, value]; entries deleted meanwhile are skipped. */
  *entries(): Generator<[K, V]> {
    for (let k = this.nextKeyBytes(null); k; k = this.nextKeyBytes(k)) {
      const v = this.getBytes(k);
      if (v) yield [this.keyCodec.decode(k), this.valueCodec.decode(v)];
    }
  }

  info(): MapInfoResult {
    return mapInfoByFd(this.fd);
  }

  close(): void {
    this.handle.close();
  }
}

/** bpf_map_info for any map fd. */
export function mapInfoByFd(fd: number): MapInfoResult {
  const info = objInfo(fd, MapInfo);
  const type = readU32(MapInfo, info, 'type');
  return {
    id: readU32(MapInfo, info, 'id'),
    type,
    typeName: enumName(MapType, type),
    name: readString(MapInfo, info, 'name'),
    keySize: readU32(MapInfo, info, 'key_size'),
    valueSize: readU32(MapInfo, info, 'value_size'),
    maxEntries: readU32(MapInfo, info, 'max_entries'),
    flags: readU32(MapInfo, info, 'map_flags'),
    btfId: readU32(MapInfo, info, 'btf_id'),
    mapExtra: read(MapInfo, info, 'map_extra') as bigint,
  };
}

