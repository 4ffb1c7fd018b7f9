// ping monitor: prints "ping from A.B.C.D id I seq N" for each ICMP echo
// request arriving on an interface.
//   sudo node examples/ping-monitor/main.mjs IFNAME [NETNS]
import { RingBufferReader } from '@lockne/bpf';
import { loadFile, isMain, ipv4At } from '../lib/load.mjs';

/** struct ping_event { u32 saddr (network order); u16 id; u16 seq; } */
export function decodePing(d) {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return { from: ipv4At(v, 0), id: v.getUint16(4, true), seq: v.getUint16(6, true) };
}

/**
 * Attach to `ifname` ingress (inside network namespace `netns`, a name under
 * /run/netns, when given); each echo request goes to `onPing({from, id, seq})`.
 */
export function startPingMonitor(ifname, netns, onPing) {
  const obj = loadFile(new URL('./ping-monitor.bpf.ts', import.meta.url));
  let link;
  let reader;
  try {
    link = obj.program('watchPings').attach({ ifname, ...(netns ? { netns } : {}) });
    reader = new RingBufferReader(obj.map('pings'), { onSample: (d) => onPing(decodePing(d)) });
  } catch (e) {
    link?.close();
    obj.close();
    throw e;
  }
  return {
    close() {
      reader.close();
      link.close();
      obj.close();
    },
  };
}

if (isMain(import.meta)) {
  const [ifname, netns] = process.argv.slice(2);
  if (!ifname) {
    console.error('usage: node examples/ping-monitor/main.mjs IFNAME [NETNS]');
    process.exit(2);
  }
  const mon = startPingMonitor(ifname, netns, (p) => console.log(`ping from ${p.from} id ${p.id} seq ${p.seq}`));
  console.error(`watching echo requests on ${ifname}${netns ? ` (netns ${netns})` : ''} ... Ctrl-C to stop`);
  process.once('SIGINT', () => mon.close());
  process.once('SIGTERM', () => mon.close());
}
