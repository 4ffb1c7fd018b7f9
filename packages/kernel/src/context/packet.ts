import type { TypeDesc } from '../types.js';
import type { u32 } from '../ints.js';

/** Direct packet access shared by XDP and __sk_buff contexts. */
export interface PacketAccess {
  /**
   * A bounds-checked view of a header (any struct/array descriptor) at a byte
   * offset from the start of packet data; null when the packet is too short.
   * The compiler emits the verifier's `data + off + sizeof(T) > data_end` check,
   * so narrow the result with `if (h === null) return ...` before using it.
   * Fields of the view are read and written in place (in packet memory).
   * @example const eth = ctx.header(EthHdr, 0); if (eth === null) return XdpAction.PASS;
   */
  header<T>(type: TypeDesc<T>, offset: u32 | number): T | null;
}
