// A child process for the cgroup sysctl/device tests: performs the file
// operations given on the command line, printing one JSON line each. Run it
// inside a test cgroup (the cgroup's sysctl and device programs see them).
//
//   node cgroup-ops-child.js read /proc/sys/net/ipv4/ip_forward write /proc/sys/kernel/domainname
//     -> {"op":"read","result":"ok","value":"0\n"} {"op":"write","result":"EPERM"}
//   node cgroup-ops-child.js open /dev/null w mknod /tmp/lk1/null 1 3
// `write PATH` writes the file's current contents back (no change); `mknod` makes a char device.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);
const out = (o: object): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };

const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const op = args[i]!;
  const path = args[++i]!;
  try {
    if (op === 'read') {
      out({ op, result: 'ok', value: fs.readFileSync(path, 'utf8') });
    } else if (op === 'write') {
      let value: string;
      try { value = fs.readFileSync(path, 'utf8'); } catch { value = ''; }
      fs.writeFileSync(path, value);
      out({ op, result: 'ok' });
    } else if (op === 'open') {
      const fd = fs.openSync(path, args[++i] === 'w' ? 'w' : 'r');
      fs.closeSync(fd);
      out({ op, result: 'ok' });
    } else if (op === 'mknod') {
      const [major, minor] = [args[++i]!, args[++i]!];
      const r = spawnSync('mknod', [path, 'c', major, minor], { encoding: 'utf8' });
      out({ op, result: r.status === 0 ? 'ok' : /not permitted/.test(r.stderr) ? 'EPERM' : r.stderr.trim() });
    } else {
      throw new Error(`unknown op ${op}`);
    }
  } catch (e) {
    out({ op, result: code(e) });
  }
}
