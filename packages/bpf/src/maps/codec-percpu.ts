// Per-CPU values: the kernel copies one value per possible CPU, each in a slot
// rounded up to 8 bytes. This codec turns that buffer into an array.
import type { Codec } from './codec.js';
import { CodecError } from './codec-error.js';

/** Bytes per CPU in a per-CPU value buffer: value_size rounded up to 8. */
export const perCpuStride = (valueSize: number): number => Math.ceil(valueSize / 8) * 8;

/**
 * One value per possible CPU (`cpus` of them), as the kernel lays them out.
 * @example perCpu(u64, possibleCpuCount()).decode(buf) // [3n, 0n]
 */
export function perCpu<T>(elem: Codec<T>, cpus: number): Codec<T[]> {
  const stride = perCpuStride(elem.size);
  return {
    size: stride * cpus,
    align: 8,
    encode(value, out) {
      if (!Array.isArray(value)) throw new CodecError(`per-CPU value: expected an array of ${cpus} values (one per possible CPU), got ${String(value)}`);
      if (value.length !== cpus) throw new CodecError(`per-CPU value: expected ${cpus} values (one per possible CPU), got ${value.length}`);
      value.forEach((v, i) => {
        try {
          elem.encode(v, out.subarray(i * stride, i * stride + elem.size));
        } catch (e) {
          throw CodecError.wrap(e, `cpu[${i}]`);
        }
      });
    },
    decode(b) {
      const out: T[] = [];
      for (let i = 0; i < cpus; i++) out.push(elem.decode(b.subarray(i * stride, i * stride + elem.size)));
      return out;
    },
  };
}
