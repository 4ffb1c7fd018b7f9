// The client-side probe, as the parent sees it: what to ask, the argv that runs
// probe-main.js (the "app" Lockne's tests route), and its parsed answer.
import net from 'node:net';
import { appFile } from '../paths.js';
import { DNS_PORT, WHOAMI_PORT } from './addressing.js';
import type { WhoamiReply } from './records.js';

/** The compiled probe script. */
export const PROBE_SCRIPT = appFile('dist/src/topology/probe-main.js');

/**
 * - `tcp`: connect to the whoami service, read its reply;
 * - `udp`: connect() a UDP socket, send, read the reply (connect4/6 path);
 * - `udp-sendto`: unconnected UDP, sendto() (sendmsg4/6 path, games, QUIC);
 * - `dns`: one A or AAAA query by sendto() to a DNS server.
 */
export type ProbeKind = 'tcp' | 'udp' | 'udp-sendto' | 'dns';
export const PROBE_KINDS: readonly ProbeKind[] = ['tcp', 'udp', 'udp-sendto', 'dns'];

export interface ProbeRequest {
  kind: ProbeKind;
  /** Server address to reach (v4 or v6). */
  address: string;
  /** Default: 7777 (whoami) or 53 (dns). */
  port?: number;
  /** SO_MARK for the probe's socket; unset: plain Node sockets, no mark. */
  mark?: number;
  /** Give up after this long (default 2000 ms). */
  timeoutMs?: number;
  /** dns: the name asked (default "probe.lockne.test"). */
  name?: string;
  /** dns: 'A' (default) or 'AAAA'. */
  qtype?: 'A' | 'AAAA';
}

/** One probe's outcome, printed by probe-main.js as a JSON line. */
export interface ProbeResult {
  ok: boolean;
  kind: ProbeKind;
  address: string;
  port: number;
  mark: number | null;
  /** tcp / udp / udp-sendto: what the server saw. */
  seen?: WhoamiReply;
  /** dns: the addresses answered. */
  answers?: string[];
  /** Set when ok is false: errno name or "timeout", and what failed. */
  error?: string;
}

/** The probe's default port for `kind`. */
export function defaultPort(kind: ProbeKind): number {
  return kind === 'dns' ? DNS_PORT : WHOAMI_PORT;
}

/** Command-line arguments of probe-main.js for `req` (see probeArgv). */
export function probeArgs(req: ProbeRequest): string[] {
  const out: string[] = [req.kind, req.address];
  if (req.port !== undefined) out.push('--port', String(req.port));
  if (req.mark !== undefined) out.push('--mark', String(req.mark));
  if (req.timeoutMs !== undefined) out.push('--timeout', String(req.timeoutMs));
  if (req.name !== undefined) out.push('--name', req.name);
  if (req.qtype !== undefined) out.push('--qtype', req.qtype);
  return out;
}

/**
 * argv that runs the probe (node + probe-main.js). Run it inside the client
 * namespace (Topology.probe, spawnInClient) or under Lockne as "the app".
 *
 * @example
 *   probeArgv({ kind: 'udp-sendto', address: '10.77.0.1', mark: 0x100 })
 *   // [node, '.../probe-main.js', 'udp-sendto', '10.77.0.1', '--mark', '256']
 */
export function probeArgv(req: ProbeRequest): string[] {
  parseProbeArgs(probeArgs(req)); // reject a bad request here, not in the child
  return [process.execPath, PROBE_SCRIPT, ...probeArgs(req)];
}

/** Parses probe-main.js arguments; throws naming the bad one. */
export function parseProbeArgs(args: readonly string[]): ProbeRequest {
  const [kind, address, ...rest] = args;
  if (!PROBE_KINDS.includes(kind as ProbeKind)) throw new Error(`probe kind '${kind ?? ''}' is not one of ${PROBE_KINDS.join(', ')}`);
  if (!address || net.isIP(address) === 0) throw new Error(`probe address '${address ?? ''}' is not an IP address`);
  const req: ProbeRequest = { kind: kind as ProbeKind, address };
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i]!;
    const value = rest[i + 1];
    if (value === undefined) throw new Error(`probe option ${flag} needs a value`);
    const int = (max: number): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`probe option ${flag} ${value}: not an integer in 0..${max}`);
      return n;
    };
    switch (flag) {
      case '--port': req.port = int(65535); break;
      case '--mark': req.mark = int(0xffffffff); break;
      case '--timeout': req.timeoutMs = int(600_000); break;
      case '--name': req.name = value; break;
      case '--qtype':
        if (value !== 'A' && value !== 'AAAA') throw new Error(`probe option --qtype ${value}: want A or AAAA`);
        req.qtype = value;
        break;
      default: throw new Error(`unknown probe option '${flag}'`);
    }
  }
  return req;
}

/**
 * The probe's result from its output (the last JSON line); a probe that printed
 * none (crashed, killed) becomes `ok: false` with its stderr as the error.
 */
export function parseProbeOutput(req: ProbeRequest, stdout: string, stderr: string, status: number | null): ProbeResult {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    if (line.startsWith('{')) return JSON.parse(line) as ProbeResult;
  } catch {
    // fall through: report the raw output
  }
  return {
    ok: false,
    kind: req.kind,
    address: req.address,
    port: req.port ?? defaultPort(req.kind),
    mark: req.mark ?? null,
    error: `probe exited with status ${status} and no result: ${(stderr || stdout).trim().slice(-500)}`,
  };
}

/**
 * argv of a `dig` query (one try, 1 s) for `name` at DNS server `server`;
 * prints the answers only. Run it in the client namespace.
 *
 * @example digArgv('10.77.0.1', 'example.com') // ['dig', '+short', ..., '@10.77.0.1', 'example.com', 'A']
 */
export function digArgv(server: string, name: string, qtype: 'A' | 'AAAA' = 'A'): string[] {
  return ['dig', '+short', '+tries=1', '+time=1', `@${server}`, name, qtype];
}
