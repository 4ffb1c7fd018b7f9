// The test packet of each program, the same bytes for the TS and the C side.
// Each takes the program's main path (DNS is dropped, the SYN is counted, ...).

/** Ethernet + IPv4 (IHL 5) + UDP or TCP header, zero payload, `len` bytes in all. */
function frame({ proto, src = 0x0a000001, dst = 0x0a000002, sport = 40000, dport = 80, flags = 0, len = 64 }) {
  const buf = new Uint8Array(len);
  const v = new DataView(buf.buffer);
  buf.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45);
  v.setUint16(16, len - 14);
  v.setUint8(22, 64);
  v.setUint8(23, proto === 'udp' ? 17 : 6);
  v.setUint32(26, src);
  v.setUint32(30, dst);
  v.setUint16(34, sport);
  v.setUint16(36, dport);
  if (proto === 'tcp') {
    v.setUint8(34 + 12, 5 << 4);
    v.setUint8(34 + 13, flags);
  } else v.setUint16(34 + 4, len - 34);
  return buf;
}

const udp = frame({ proto: 'udp', dport: 5000 });

export const packets = {
  arith: udp,
  checksum: udp,
  count_hash: udp,
  drop_dns: frame({ proto: 'udp', dport: 53 }),
  flow_stats: udp,
  len_histogram: frame({ proto: 'udp', dport: 5000, len: 200 }),
  ret_const: udp,
  ringbuf_event: udp,
  set_mark: udp,
  syn_count: frame({ proto: 'tcp', flags: 0x02 }),
};
