// tail-call parser chain: XDP dispatch → per-protocol parsers via a ProgramArray.
//   sudo node examples/parser-chain/main.mjs IFNAME [NETNS]   (prints counters every second)
import { loadFile, isMain } from '../lib/load.mjs';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
export const STAT_NAMES = ['seen', 'udp', 'tcp', 'noParser', 'tcpDropped'];

/** Load the chain and fill the parser slots (slot = IP protocol); the caller closes the object. */
export function loadParserChain() {
  const obj = loadFile(new URL('./parser-chain.bpf.ts', import.meta.url));
  try {
    const slots = obj.map('parsers');
    slots.set(IPPROTO_UDP, obj.program('parseUdp').fd);
    slots.set(IPPROTO_TCP, obj.program('parseTcp').fd);
  } catch (e) {
    obj.close();
    throw e;
  }
  return obj;
}

/** { seen, udp, tcp, noParser, tcpDropped, udpPorts: {port: count} } */
export function readStats(obj) {
  const stats = obj.map('stats');
  const out = {};
  STAT_NAMES.forEach((name, i) => { out[name] = stats.get(i) ?? 0n; });
  out.udpPorts = {};
  for (const [port, n] of obj.map('udpPorts').entries()) out.udpPorts[port] = n;
  return out;
}

if (isMain(import.meta)) {
  const [ifname, netns] = process.argv.slice(2);
  if (!ifname) {
    console.error('usage: node examples/parser-chain/main.mjs IFNAME [NETNS]');
    process.exit(2);
  }
  const obj = loadParserChain();
  const link = obj.program('dispatch').attach({ ifname, ...(netns ? { netns } : {}) });
  const timer = setInterval(() => console.log(readStats(obj)), 1000);
  const stop = () => { clearInterval(timer); link.close(); obj.close(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
