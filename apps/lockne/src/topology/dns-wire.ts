// Just enough of the DNS message format (RFC 1035) for the test server and the
// probe: one question, A/AAAA answers, name compression when reading.
import { ipBytes, ipText } from './ip.js';

export const QTYPE = { A: 1, AAAA: 28 } as const;
const CLASS_IN = 1;
const HEADER = 12;

/** The question of a query. */
export interface DnsQuestion {
  id: number;
  /** Recursion-desired and other header flags, as received. */
  flags: number;
  /** Lower-case, no trailing dot: "example.com". */
  qname: string;
  qtype: number;
  qclass: number;
  /** Byte offset just after the question (the answer section starts here). */
  end: number;
}

/** An A or AAAA answer read back from a response. */
export interface DnsAnswer {
  type: number;
  address: string;
}

/** Name of a query type for records: "A", "AAAA" or "TYPE<n>". */
export function qtypeName(qtype: number): string {
  for (const [k, v] of Object.entries(QTYPE)) if (v === qtype) return k;
  return `TYPE${qtype}`;
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`DNS label '${l}' is longer than 63 bytes`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Reads a (possibly compressed) name at `offset`; returns it and the offset after it. */
function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  for (let hops = 0; hops < 64; hops++) {
    if (pos >= msg.length) throw new Error(`DNS name at byte ${offset} runs past the message end`);
    const len = msg[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.join('.').toLowerCase(), next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = pos + 2;
      pos = msg.readUInt16BE(pos) & 0x3fff;
      continue;
    }
    labels.push(msg.toString('ascii', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new Error(`DNS name at byte ${offset} has a compression loop`);
}

/**
 * A standard query for `name` (recursion desired).
 *
 * @example encodeQuery(0x1234, 'example.com', QTYPE.A)
 */
export function encodeQuery(id: number, name: string, qtype: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2); // RD
  h.writeUInt16BE(1, 4); // QDCOUNT
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([h, encodeName(name), q]);
}

/** The question of a query; throws when it is not a one-question query. */
export function parseQuery(msg: Buffer): DnsQuestion {
  if (msg.length < HEADER) throw new Error(`DNS message of ${msg.length} bytes is shorter than its header`);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) throw new Error('DNS message is a response, not a query');
  if (msg.readUInt16BE(4) !== 1) throw new Error(`DNS query has ${msg.readUInt16BE(4)} questions (want 1)`);
  const { name, next } = readName(msg, HEADER);
  if (next + 4 > msg.length) throw new Error('DNS question is truncated');
  return { id: msg.readUInt16BE(0), flags, qname: name, qtype: msg.readUInt16BE(next), qclass: msg.readUInt16BE(next + 2), end: next + 4 };
}

/**
 * The response to `query` whose question is `q`, answering with `addresses`
 * (each becomes an A or AAAA record by its length; TTL 60).
 */
export function encodeResponse(query: Buffer, q: DnsQuestion, addresses: readonly string[]): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt16BE(q.id, 0);
  h.writeUInt16BE(0x8000 | 0x0400 | (q.flags & 0x0100) | 0x0080, 2); // QR AA RD(copied) RA, NOERROR
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((a) => {
    const data = ipBytes(a);
    const rr = Buffer.alloc(12 + data.length);
    rr.writeUInt16BE(0xc000 | HEADER, 0); // name: pointer to the question's
    rr.writeUInt16BE(data.length === 4 ? QTYPE.A : QTYPE.AAAA, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(data.length, 10);
    rr.set(data, 12);
    return rr;
  });
  return Buffer.concat([h, query.subarray(HEADER, q.end), ...answers]);
}

/** The id, rcode and A/AAAA answers of a response. */
export function parseResponse(msg: Buffer): { id: number; rcode: number; answers: DnsAnswer[] } {
  if (msg.length < HEADER) throw new Error(`DNS message of ${msg.length} bytes is shorter than its header`);
  const flags = msg.readUInt16BE(2);
  if (!(flags & 0x8000)) throw new Error('DNS message is a query, not a response');
  let pos = HEADER;
  for (let i = msg.readUInt16BE(4); i > 0; i--) pos = readName(msg, pos).next + 4;
  const answers: DnsAnswer[] = [];
  for (let i = msg.readUInt16BE(6); i > 0; i--) {
    pos = readName(msg, pos).next;
    if (pos + 10 > msg.length) throw new Error('DNS answer is truncated');
    const type = msg.readUInt16BE(pos);
    const len = msg.readUInt16BE(pos + 8);
    const data = msg.subarray(pos + 10, pos + 10 + len);
    if ((type === QTYPE.A && len === 4) || (type === QTYPE.AAAA && len === 16)) answers.push({ type, address: ipText(data) });
    pos += 10 + len;
  }
  return { id: msg.readUInt16BE(0), rcode: flags & 0xf, answers };
}
