// What the server's services record (one JSON object per line in the log) and
// what the whoami services reply. Shared by the server script, the probe and
// the Topology that reads the log.
import fs from 'node:fs';

/** Where a packet came from, as the server saw it. */
export interface Seen {
  /** Client address as the server saw it: 10.77.0.2 (direct), 10.78.<k>.2 (tunnel k). */
  address: string;
  port: number;
  /** Server address the client reached. */
  server: string;
  serverPort: number;
  /** 'direct', a tunnel's name, or 'unknown' for any other source. */
  via: string;
}

/** One TCP connection or UDP datagram a whoami service answered. */
export interface ConnectionRecord extends Seen {
  type: 'connection';
  proto: 'tcp' | 'udp';
  /** ms since the epoch, when the server got it. */
  time: number;
}

/** One DNS query the server answered. */
export interface DnsQueryRecord extends Seen {
  type: 'dns';
  /** Lower-case, no trailing dot. */
  qname: string;
  /** 'A', 'AAAA' or 'TYPE<n>'. */
  qtype: string;
  /** Addresses answered (empty for other types). */
  answers: string[];
  time: number;
}

export type ServerRecord = ConnectionRecord | DnsQueryRecord;

/** The whoami reply: what the server saw of this connection or datagram. */
export interface WhoamiReply extends Seen {
  proto: 'tcp' | 'udp';
}

/** Every record in a log file (missing file: none). Lines that do not parse are skipped. */
export function readRecords(file: string): ServerRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: ServerRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as ServerRecord);
    } catch {
      // a line being written right now; the next read has it
    }
  }
  return out;
}
