// A small "app" for the demo and benchmarks: sends a UDP datagram to HOST:PORT
// every INTERVAL ms for DURATION ms (the server's whoami answers each one), so
// `lockne top` has live traffic to show. Usage: traffic-app HOST PORT DURATION_MS [SIZE] [INTERVAL_MS]
import dgram from 'node:dgram';
import net from 'node:net';

const [host, portText, durationText, sizeText = '400', intervalText = '20'] = process.argv.slice(2);
if (!host || !portText || !durationText) {
  process.stderr.write('usage: traffic-app HOST PORT DURATION_MS [SIZE] [INTERVAL_MS]\n');
  process.exit(2);
}
const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
const payload = Buffer.alloc(Number(sizeText), 0x61);
let sent = 0;
let received = 0;
sock.on('message', () => { received++; });
sock.on('error', (e) => { process.stderr.write(`traffic-app: ${e.message}\n`); process.exitCode = 1; });
const timer = setInterval(() => { sock.send(payload, Number(portText), host); sent++; }, Number(intervalText));
setTimeout(() => {
  clearInterval(timer);
  setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ sent, received })}\n`);
    sock.close();
  }, 100);
}, Number(durationText));
