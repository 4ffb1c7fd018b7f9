// A private bpffs directory for the pins the C processes open
// (/sys/fs/bpf/lk<pid>bench), removed with everything in it at the end, and
// on Ctrl-C / SIGTERM too.
import { mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { ensureBpffs, pin, unpin } from '@lockne/bpf';

const live = new Set();

function onSignal(sig) {
  for (const d of [...live]) {
    try {
      d.remove();
    } catch (e) {
      console.error(`bench: could not remove ${d.dir}: ${e instanceof Error ? e.message : e}`);
    }
  }
  process.exit(sig === 'SIGINT' ? 130 : 143);
}

export class PinDir {
  constructor() {
    ensureBpffs('/sys/fs/bpf');
    this.dir = `/sys/fs/bpf/lk${process.pid}bench`;
    mkdirSync(this.dir);
    if (live.size === 0) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    live.add(this);
  }

  /** Pin `obj` (anything with an fd) as <dir>/<name>; returns the path. */
  pin(obj, name) {
    const p = path.join(this.dir, name);
    pin(obj, p);
    return p;
  }

  /** Unpin everything and remove the directory. */
  remove() {
    live.delete(this);
    if (live.size === 0) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    for (const f of readdirSync(this.dir)) unpin(path.join(this.dir, f));
    rmdirSync(this.dir);
  }
}
