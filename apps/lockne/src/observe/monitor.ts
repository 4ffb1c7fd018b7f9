// `lockne monitor`: connection events from the kernel's ring buffer (a
// socket's first destination, and its close with byte counts), decoded.
import { openPinnedMap, RingBufferReader } from '@lockne/bpf';
import { mapPin, EventKind } from '../kernel/layout.js';
import { codecs, type ConnEventValue } from '../kernel/maps.js';
import { addressText, portOf } from '../deploy/addresses.js';
import type { LockneState } from '../deploy/state.js';
import { profileName } from './snapshot.js';
import { commOf } from '../apps/procs.js';

export interface ConnectionEvent {
  time: string;
  event: 'connect' | 'close';
  pid: number;
  comm: string;
  profile: string;
  protocol: 'tcp' | 'udp' | string;
  family: 'ipv4' | 'ipv6';
  destination: string;
  port: number;
  cookie: string;
  txBytes?: string;
  rxBytes?: string;
}

export function describeEvent(state: LockneState, e: ConnEventValue): ConnectionEvent {
  const out: ConnectionEvent = {
    time: new Date().toISOString(),
    event: e.kind === EventKind.CLOSE ? 'close' : 'connect',
    pid: e.tgid, comm: commOf(e.tgid), profile: profileName(state, e.profile),
    protocol: e.protocol === 6 ? 'tcp' : e.protocol === 17 ? 'udp' : String(e.protocol),
    family: e.family === 10 ? 'ipv6' : 'ipv4',
    destination: addressText(e.family, e.dst), port: portOf(e.dport), cookie: e.cookie.toString(),
  };
  if (e.kind === EventKind.CLOSE) { out.txBytes = e.txBytes.toString(); out.rxBytes = e.rxBytes.toString(); }
  return out;
}

/**
 * Stream events until `signal` aborts. The ring buffer has one reader at a
 * time in practice: two monitors split the events between them.
 */
export async function monitor(state: LockneState, onEvent: (e: ConnectionEvent) => void, signal: AbortSignal): Promise<void> {
  const ring = openPinnedMap(mapPin(state.pinDir, 'events'));
  try {
    await new Promise<void>((resolve) => {
      const reader = new RingBufferReader(ring, {
        onSample: (d) => onEvent(describeEvent(state, codecs.connEvent.decode(d) as ConnEventValue)),
      });
      const stop = (): void => { reader.close(); resolve(); };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
  } finally {
    ring.close();
  }
}
