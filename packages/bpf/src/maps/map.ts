// BpfMap: create a map (BPF_MAP_CREATE) or open one (by fd or id) and use its
// elements. Per-kind classes (hash.ts, queue.ts, ...) extend it; batch
// operations live in batch.ts, creation in create.ts.
import { FdHandle } from '../fd.js';
import { bpfMapElem, bpfMapElemStaged, bpfRaw, elemSlots, type ElemSlots } from '../sys/syscall.js';
import { native } from '../sys/native.js';
import { encode, readString, readU32, read } from '../sys/layout.js';
import { GetIdAttr, MapElemAttr, MapInfo } from '../sys/attrs.js';
import { MapType, UpdateFlags, enumName, type MapTypeName } from '../sys/consts.js';
import { objInfo } from '../sys/info.js';
import { Errno } from '../sys/errno.js';
import { ArgumentError, SyscallError } from '../errors.js';
import { bytes, type Codec } from './codec.js';
import { createMapFd, isPerCpuType, mapTypeNumber, valueBufferSize, type MapBtf } from './create.js';
import {
  deleteBatch, lookupBatchChunks, lookupBatchRaw, updateBatch,
  type BatchLookupOptions, type BatchUpdateOptions, type RawChunk, type RawChunkCallback,
} from './batch.js';

export { mapTypeNumber, isPerCpuType } from './create.js';

export interface MapCreateOptions<K, V> {
  type: MapTypeName | number;
  /** Key codec; or give keySize for raw Uint8Array keys. */
  key?: Codec<K>;
  keySize?: number;
  /**
   * Value codec; or give valueSize for raw Uint8Array values. For per-CPU map
   * types use PerCpuHashMap / PerCpuArrayMap for typed values: here a per-CPU
   * map takes valueSize and reads raw buffers of one 8-byte-aligned slot per CPU.
   */
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
  btf?: MapBtf;
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
  btfKeyTypeId: number;
  btfValueTypeId: number;
  btfVmlinuxValueTypeId: number;
  ifindex: number;
  mapExtra: bigint;
}

/** What a BpfMap is built from: the kernel's view plus the codecs. */
export interface MapProps<K, V> {
  type: number;
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  key?: Codec<K>;
  /** Codec of a whole lookup buffer (for per-CPU maps: every CPU's slot). */
  value?: Codec<V>;
}

/** Codecs for BpfMap.fromFd / fromId. */
export interface MapCodecs<K, V> {
  key?: Codec<K>;
  value?: Codec<V>;
}

const UPDATE_FLAG_MASK = UpdateFlags.NOEXIST | UpdateFlags.EXIST | UpdateFlags.F_LOCK;

/** Reject unknown or contradictory BPF_{NOEXIST,EXIST,F_LOCK} combinations before the syscall. */
export function checkUpdateFlags(flags: number, what: string): void {
  if (!Number.isInteger(flags) || (flags & ~UPDATE_FLAG_MASK) !== 0) {
    throw new ArgumentError(`${what}: update flags 0x${flags.toString(16)} are not a combination of ANY, NOEXIST, EXIST, F_LOCK`);
  }
  if ((flags & UpdateFlags.NOEXIST) && (flags & UpdateFlags.EXIST)) {
    throw new ArgumentError(`${what}: NOEXIST and EXIST exclude each other`);
  }
}

/** Check codec sizes against a map's key size and lookup-buffer size. */
export function checkCodecs(what: string, keySize: number, bufferSize: number, key?: Codec<unknown>, value?: Codec<unknown>): void {
  if (key && key.size !== keySize) throw new ArgumentError(`${what}: key codec is ${key.size} bytes, map key is ${keySize}`);
  if (value && value.size !== bufferSize) {
    throw new ArgumentError(`${what}: value codec is ${value.size} bytes, map value is ${bufferSize}`);
  }
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
  /** value_size as the kernel knows it (per CPU for per-CPU maps). */
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
  /** Bytes one lookup fills: valueSize, or one 8-aligned slot per possible CPU. */
  readonly valueBytes: number;
  // Reused buffers for the typed element calls (JS runs one call at a time and
  // the kernel copies in and out before returning): no allocation per call.
  #keyScratch: Uint8Array | undefined;
  #valueScratch: Uint8Array | undefined;
  // Views of the syscall layer's element area (null: key or value over 64
  // bytes): typed get/set encode and decode there directly.
  #slots: ElemSlots | null | undefined;
  // True when the codec writes every byte of the slot: no zeroing before encode.
  readonly #keyDense: boolean;
  readonly #valueDense: boolean;

  constructor(fd: number, props: MapProps<K, V>) {
    const label = `map '${props.name || enumName(MapType, props.type)}'`;
    this.valueBytes = valueBufferSize(props.type, props.valueSize);
    checkCodecs(label, props.keySize, this.valueBytes, props.key, props.value);
    this.type = props.type;
    this.name = props.name;
    this.keySize = props.keySize;
    this.valueSize = props.valueSize;
    this.maxEntries = props.maxEntries;
    this.flags = props.flags;
    this.handle = new FdHandle(fd, label);
    this.keyCodec = props.key ?? (bytes(props.keySize) as unknown as Codec<K>);
    this.valueCodec = props.value ?? (bytes(this.valueBytes) as unknown as Codec<V>);
    this.#keyDense = this.keyCodec.fillsAll === true && this.keyCodec.size === this.keySize;
    this.#valueDense = this.valueCodec.fillsAll === true && this.valueCodec.size === this.valueBytes;
  }

  get fd(): number {
    return this.handle.fd;
  }

  /** True for PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH (values are per CPU). */
  get perCpu(): boolean {
    return isPerCpuType(this.type);
  }

  /** Create a map; sizes come from the codecs unless given. */
  static create<K = Uint8Array, V = Uint8Array>(opts: MapCreateOptions<K, V>): BpfMap<K, V> {
    const type = mapTypeNumber(opts.type);
    const keySize = opts.keySize ?? opts.key?.size ?? 0;
    const label = `map '${opts.name || enumName(MapType, type)}'`;
    if (isPerCpuType(type) && opts.value) {
      throw new ArgumentError(`${label}: ${enumName(MapType, type)} values are per CPU: use PerCpuHashMap/PerCpuArrayMap/LruPerCpuHashMap.create for a typed value, or valueSize for raw buffers`);
    }
    const valueSize = opts.valueSize ?? opts.value?.size ?? 0;
    if (opts.key && opts.keySize !== undefined && opts.key.size !== opts.keySize) {
      throw new ArgumentError(`${label}: keySize ${opts.keySize} but key codec is ${opts.key.size} bytes`);
    }
    if (opts.value && opts.valueSize !== undefined && opts.value.size !== opts.valueSize) {
      throw new ArgumentError(`${label}: valueSize ${opts.valueSize} but value codec is ${opts.value.size} bytes`);
    }
    const fd = createMapFd({ ...opts, type, keySize, valueSize });
    return new BpfMap<K, V>(fd, { type, name: opts.name ?? '', keySize, valueSize, maxEntries: opts.maxEntries, flags: opts.flags ?? 0, key: opts.key, value: opts.value });
  }

  /**
   * Wrap an existing map fd (taking ownership: close() closes it). Sizes and
   * type come from the kernel; codecs must match them.
   * @example const m = BpfMap.fromFd(fd, { key: u32, value: u64 });
   */
  static fromFd<K = Uint8Array, V = Uint8Array>(fd: number, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    const info = mapInfoByFd(fd);
    return new BpfMap<K, V>(fd, { ...info, key: codecs.key, value: codecs.value });
  }

  /**
   * Open a map by its id (BPF_MAP_GET_FD_BY_ID): a new fd the returned map owns.
   * @example const inner = BpfMap.fromId(outer.get(0)!);
   */
  static fromId<K = Uint8Array, V = Uint8Array>(id: number, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    const fd = mapFdById(id);
    try {
      return BpfMap.fromFd(fd, codecs);
    } catch (e) {
      closeQuietly(fd);
      throw e;
    }
  }

  /** Bytes of a key, checked against the map's key size before any syscall. `out` must be zeroed. */
  encodeKey(key: K, out: Uint8Array = new Uint8Array(this.keySize)): Uint8Array {
    try {
      this.keyCodec.encode(key, out);
    } catch (e) {
      throw rethrow(e, `${this.handle.description} key`);
    }
    return out;
  }

  encodeValue(value: V, out: Uint8Array = new Uint8Array(this.valueBytes)): Uint8Array {
    try {
      this.valueCodec.encode(value, out);
    } catch (e) {
      throw rethrow(e, `${this.handle.description} value`);
    }
    return out;
  }

  /** `key` encoded into the reused key buffer (valid until the next call). */
  private scratchKey(key: K): Uint8Array {
    const b = (this.#keyScratch ??= new Uint8Array(this.keySize));
    b.fill(0);
    return this.encodeKey(key, b);
  }

  /** The reused value buffer, zeroed. Codecs' decode() copies what it keeps. */
  private scratchValue(): Uint8Array {
    const b = (this.#valueScratch ??= new Uint8Array(this.valueBytes));
    b.fill(0);
    return b;
  }

  /** Size of the buffer a lookup fills (per-CPU maps: a slot per CPU). */
  valueBufferSize(): number {
    return this.valueBytes;
  }

  /** The value for `key`, or undefined when absent. flags: UpdateFlags.F_LOCK for spin-locked values. */
  get(key: K, flags = 0): V | undefined {
    const s = this.#slots === undefined ? (this.#slots = elemSlots(this.keySize, this.valueBytes)) : this.#slots;
    if (s !== null && flags >>> 0 === flags) {
      if (!this.#keyDense) s.key.fill(0);
      this.encodeKey(key, s.key);
      const ret = bpfMapElemStaged('MAP_LOOKUP_ELEM', this.fd, flags);
      if (ret === -Errno.ENOENT) return undefined;
      if (ret < 0) throw new SyscallError('BPF_MAP_LOOKUP_ELEM', -ret, this.handle.description);
      return this.valueCodec.decode(s.value);
    }
    const out = this.scratchValue();
    return this.lookupInto(this.scratchKey(key), out, flags) ? this.valueCodec.decode(out) : undefined;
  }

  /** True when `key` is present. */
  has(key: K): boolean {
    return this.lookupInto(this.scratchKey(key), this.scratchValue(), 0);
  }

  /** Raw lookup: the value bytes (a new array), or undefined on ENOENT. */
  getBytes(key: Uint8Array | null, flags = 0): Uint8Array | undefined {
    const out = new Uint8Array(this.valueBytes);
    return this.getInto(key, out, flags) ? out : undefined;
  }

  /**
   * Raw lookup into `out` (exactly valueSize bytes, per-CPU maps: the whole
   * array): true when found, false on ENOENT, `out` untouched then. Nothing
   * is allocated: the form for a hot loop, as libbpf's lookup writes into the
   * caller's buffer.
   */
  getInto(key: Uint8Array | null, out: Uint8Array, flags = 0): boolean {
    this.checkKeyBytes(key);
    if (out.byteLength !== this.valueBytes) {
      throw new ArgumentError(`${this.handle.description} value: expected ${this.valueBytes} bytes, got ${out.byteLength}`);
    }
    const s = this.#slots === undefined ? (this.#slots = elemSlots(this.keySize, this.valueBytes)) : this.#slots;
    if (s !== null && key !== null && flags >>> 0 === flags) {
      const k = s.key;
      for (let i = 0; i < k.length; i++) k[i] = key[i]!;
      const ret = bpfMapElemStaged('MAP_LOOKUP_ELEM', this.fd, flags);
      if (ret === -Errno.ENOENT) return false;
      if (ret < 0) throw new SyscallError('BPF_MAP_LOOKUP_ELEM', -ret, this.handle.description);
      const v = s.value;
      for (let i = 0; i < v.length; i++) out[i] = v[i]!;
      return true;
    }
    return this.lookupInto(key, out, flags);
  }

  /** BPF_MAP_LOOKUP_ELEM into `out`; false on ENOENT. */
  private lookupInto(key: Uint8Array | null, out: Uint8Array, flags: number): boolean {
    const ret = bpfMapElem('MAP_LOOKUP_ELEM', this.fd, key, out, flags);
    if (ret === -Errno.ENOENT) return false;
    if (ret < 0) throw new SyscallError('BPF_MAP_LOOKUP_ELEM', -ret, this.handle.description);
    return true;
  }

  /**
   * Insert or replace. flags: UpdateFlags.NOEXIST (fails with EEXIST when
   * present), EXIST (fails with ENOENT when absent), F_LOCK.
   */
  set(key: K, value: V, flags: number = UpdateFlags.ANY): void {
    checkUpdateFlags(flags, this.handle.description);
    const s = this.#slots === undefined ? (this.#slots = elemSlots(this.keySize, this.valueBytes)) : this.#slots;
    if (s !== null) {
      if (!this.#keyDense) s.key.fill(0);
      this.encodeKey(key, s.key);
      if (!this.#valueDense) s.value.fill(0);
      this.encodeValue(value, s.value);
      const ret = bpfMapElemStaged('MAP_UPDATE_ELEM', this.fd, flags);
      if (ret < 0) throw new SyscallError('BPF_MAP_UPDATE_ELEM', -ret, `${this.handle.description}${flagText(flags)}`);
      return;
    }
    this.update(this.scratchKey(key), this.encodeValue(value, this.scratchValue()), flags);
  }

  setBytes(key: Uint8Array | null, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    checkUpdateFlags(flags, this.handle.description);
    this.checkKeyBytes(key);
    if (value.byteLength !== this.valueBytes) {
      throw new ArgumentError(`${this.handle.description} value: expected ${this.valueBytes} bytes, got ${value.byteLength}`);
    }
    const s = this.#slots === undefined ? (this.#slots = elemSlots(this.keySize, this.valueBytes)) : this.#slots;
    if (s !== null && key !== null) {
      // Straight into the element area's slots, as getBytes does (loops: cheaper than set() for a few bytes).
      const k = s.key;
      const v = s.value;
      for (let i = 0; i < k.length; i++) k[i] = key[i]!;
      for (let i = 0; i < v.length; i++) v[i] = value[i]!;
      const ret = bpfMapElemStaged('MAP_UPDATE_ELEM', this.fd, flags);
      if (ret < 0) throw new SyscallError('BPF_MAP_UPDATE_ELEM', -ret, `${this.handle.description}${flagText(flags)}`);
      return;
    }
    this.update(key, value, flags);
  }

  private update(key: Uint8Array | null, value: Uint8Array, flags: number): void {
    const ret = bpfMapElem('MAP_UPDATE_ELEM', this.fd, key, value, flags);
    if (ret < 0) throw new SyscallError('BPF_MAP_UPDATE_ELEM', -ret, `${this.handle.description}${flagText(flags)}`);
  }

  /** Remove `key`; false when it was absent. */
  delete(key: K): boolean {
    return this.deleteBytes(this.scratchKey(key));
  }

  deleteBytes(key: Uint8Array | null): boolean {
    this.checkKeyBytes(key);
    const ret = bpfMapElem('MAP_DELETE_ELEM', this.fd, key, null);
    if (ret === -Errno.ENOENT) return false;
    if (ret < 0) throw new SyscallError('BPF_MAP_DELETE_ELEM', -ret, this.handle.description);
    return true;
  }

  /**
   * Read and remove `key` in one step (BPF_MAP_LOOKUP_AND_DELETE_ELEM; hash
   * maps since 5.14); undefined when absent.
   */
  lookupAndDelete(key: K, flags = 0): V | undefined {
    const raw = this.lookupAndDeleteBytes(this.scratchKey(key), flags);
    return raw ? this.valueCodec.decode(raw) : undefined;
  }

  lookupAndDeleteBytes(key: Uint8Array | null, flags = 0): Uint8Array | undefined {
    this.checkKeyBytes(key);
    const out = new Uint8Array(this.valueBytes);
    const ret = bpfMapElem('MAP_LOOKUP_AND_DELETE_ELEM', this.fd, key, out, flags);
    if (ret === -Errno.ENOENT) return undefined;
    if (ret < 0) throw new SyscallError('BPF_MAP_LOOKUP_AND_DELETE_ELEM', -ret, this.handle.description);
    return out;
  }

  /** The key after `key` (or the first key when null); undefined at the end. */
  nextKeyBytes(key: Uint8Array | null): Uint8Array | undefined {
    this.checkKeyBytes(key);
    const next = new Uint8Array(this.keySize);
    const ret = bpfMapElem('MAP_GET_NEXT_KEY', this.fd, key, next);
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

  /**
   * Make the map read-only for user space (BPF_MAP_FREEZE): later updates
   * from user space fail with EPERM; programs keep their access.
   */
  freeze(): void {
    const { ret } = bpfRaw('MAP_FREEZE', encode(MapElemAttr, { map_fd: this.fd }));
    if (ret < 0) throw new SyscallError('BPF_MAP_FREEZE', -ret, this.handle.description);
  }

  // ---- batch operations (BPF_MAP_*_BATCH, 5.6+) ----------------------------

  /**
   * Every entry, read in chunks with BPF_MAP_LOOKUP_BATCH.
   * @example for (const [k, v] of m.lookupBatch({ chunkSize: 256 })) ...
   */
  lookupBatch(opts: BatchLookupOptions = {}): [K, V][] {
    return [...this.batchChunks('MAP_LOOKUP_BATCH', opts)].flat();
  }

  /**
   * Every entry as raw bytes, without decoding or per-chunk allocation: each
   * chunk's keys and values (back to back, `count` of each) go to `onChunk`
   * in buffers reused for the whole walk, valid only during the call. Returns
   * the number of entries. `deleting`: BPF_MAP_LOOKUP_AND_DELETE_BATCH.
   * @example m.lookupBatchRaw((k, v, n) => { for (let i = 0; i < n; i++) use(k, i * 4, v, i * 8); });
   */
  lookupBatchRaw(onChunk: RawChunkCallback, opts: BatchLookupOptions & { deleting?: boolean } = {}): number {
    return lookupBatchRaw(this, opts.deleting ? 'MAP_LOOKUP_AND_DELETE_BATCH' : 'MAP_LOOKUP_BATCH', onChunk, opts);
  }

  /** Every entry, read and removed in chunks (BPF_MAP_LOOKUP_AND_DELETE_BATCH). */
  lookupAndDeleteBatch(opts: BatchLookupOptions = {}): [K, V][] {
    return [...this.batchChunks('MAP_LOOKUP_AND_DELETE_BATCH', opts)].flat();
  }

  /** Chunks of entries as the kernel returns them; stop early by breaking out. */
  *batchChunks(cmd: 'MAP_LOOKUP_BATCH' | 'MAP_LOOKUP_AND_DELETE_BATCH' = 'MAP_LOOKUP_BATCH', opts: BatchLookupOptions = {}): Generator<[K, V][]> {
    for (const chunk of lookupBatchChunks(this, cmd, opts)) yield this.decodeChunk(chunk);
  }

  /** Insert or replace many entries (BPF_MAP_UPDATE_BATCH); returns how many were written. */
  updateBatch(entries: Iterable<readonly [K, V]>, opts: BatchUpdateOptions = {}): number {
    const list = [...entries];
    const keys = new Uint8Array(list.length * this.keySize);
    const values = new Uint8Array(list.length * this.valueBytes);
    list.forEach(([k, v], i) => {
      keys.set(this.encodeKey(k), i * this.keySize);
      values.set(this.encodeValue(v), i * this.valueBytes);
    });
    return updateBatch(this, keys, values, list.length, opts);
  }

  /** Delete many keys (BPF_MAP_DELETE_BATCH); a missing key stops the batch with ENOENT. */
  deleteBatch(keys: Iterable<K>, opts: BatchUpdateOptions = {}): number {
    const list = [...keys];
    const buf = new Uint8Array(list.length * this.keySize);
    list.forEach((k, i) => buf.set(this.encodeKey(k), i * this.keySize));
    return deleteBatch(this, buf, list.length, opts);
  }

  private decodeChunk(c: RawChunk): [K, V][] {
    const out: [K, V][] = [];
    for (let i = 0; i < c.count; i++) {
      out.push([
        this.keyCodec.decode(c.keys.subarray(i * this.keySize, (i + 1) * this.keySize)),
        this.valueCodec.decode(c.values.subarray(i * this.valueBytes, (i + 1) * this.valueBytes)),
      ]);
    }
    return out;
  }

  private checkKeyBytes(key: Uint8Array | null): void {
    if (key === null) return;
    if (key.byteLength !== this.keySize) {
      throw new ArgumentError(`${this.handle.description} key: expected ${this.keySize} bytes, got ${key.byteLength}`);
    }
  }

  info(): MapInfoResult {
    return mapInfoByFd(this.fd);
  }

  /** The kernel's id for this map (stable while it exists). */
  get id(): number {
    return this.info().id;
  }

  close(): void {
    this.handle.close();
  }
}

function flagText(flags: number): string {
  const names = Object.entries(UpdateFlags).filter(([, v]) => v && (flags & v)).map(([k]) => k);
  return names.length ? ` (${names.join('|')})` : '';
}

/** Prefix a codec's ArgumentError with the map and side; other errors pass through. */
function rethrow(e: unknown, where: string): unknown {
  if (e instanceof ArgumentError) {
    const err = new ArgumentError(`${where}: ${e.message}`);
    err.cause = e;
    return err;
  }
  return e;
}

function closeQuietly(fd: number): void {
  // The fd is ours and unused; a close error would hide the real one.
  native.close(fd);
}

/** BPF_MAP_GET_FD_BY_ID: a new fd for the map with this id. */
export function mapFdById(id: number): number {
  if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) throw new ArgumentError(`map id ${id} is not a positive u32`);
  const { ret } = bpfRaw('MAP_GET_FD_BY_ID', encode(GetIdAttr, { id }));
  if (ret < 0) throw new SyscallError('BPF_MAP_GET_FD_BY_ID', -ret, `map id ${id}`);
  return ret;
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
    btfKeyTypeId: readU32(MapInfo, info, 'btf_key_type_id'),
    btfValueTypeId: readU32(MapInfo, info, 'btf_value_type_id'),
    btfVmlinuxValueTypeId: readU32(MapInfo, info, 'btf_vmlinux_value_type_id'),
    ifindex: readU32(MapInfo, info, 'ifindex'),
    mapExtra: read(MapInfo, info, 'map_extra') as bigint,
  };
}

/**
 * BpfMap's constructor without its static side, for per-kind classes: each
 * kind has its own `create(options)` with options of its own shape, which the
 * base's static `create` would otherwise constrain. Instances are still
 * `instanceof BpfMap`.
 */
export const MapBase = BpfMap as unknown as new <K, V>(fd: number, props: MapProps<K, V>) => BpfMap<K, V>;

/** A file descriptor, or an object holding one (Program, BpfMap, a socket wrapper). */
export type FdLike = number | { readonly fd: number };
export const fdOf = (x: FdLike): number => (typeof x === 'number' ? x : x.fd);
