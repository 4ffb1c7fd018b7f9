// Test support: throw-away cgroups and child processes placed in them.
//
//   const cg = TestCgroup.create();                 // <cgroup2 root>/lk<pid>c<k>
//   try {
//     const out = cg.runChild(['mark']);            // test/support/sock-child.js, run inside cg
//     cg.runChild(['connect', 9], { netns });       // ... and inside a test network namespace
//   } finally {
//     cg.remove();
//   }
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { createCgroup, removeCgroup } from '../../src/net/cgroup.js';
import type { TestNetns } from './netns.js';

export interface RunOptions {
  /** Also run inside this test network namespace (its loopback is private: nothing listens there). */
  netns?: TestNetns;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sock-child.js');
let counter = 0;

export class TestCgroup {
  readonly path: string;
  #removed = false;

  private constructor(p: string) {
    this.path = p;
  }

  /** mkdir <cgroup2 root>/lk<pid>c<k>. */
  static create(): TestCgroup {
    return new TestCgroup(createCgroup(`lk${process.pid}c${counter++}`));
  }

  /**
   * Run a command with its pid written to cgroup.procs before exec, so the
   * program itself starts inside the cgroup. Throws on a non-zero exit.
   */
  run(argv: readonly string[], opts: RunOptions = {}): string {
    const sh = ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', this.path, ...argv];
    const [cmd, ...args] = opts.netns ? ['nsenter', `--net=${opts.netns.path}`, ...sh] : sh;
    const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 10_000 });
    if (r.error) throw new Error(`cannot run ${argv.join(' ')}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} in ${this.path} exited ${r.status}:\n${r.stderr}`);
    return r.stdout;
  }

  /** Run test/support/sock-child.js with `ops` inside the cgroup; one parsed JSON object per op. */
  runChild(ops: readonly (string | number)[], opts: RunOptions = {}): Record<string, unknown>[] {
    return this.run([process.execPath, CHILD, ...ops.map(String)], opts)
      .trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Remove the cgroup (moving any straggler to the parent first). Idempotent. */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    removeCgroup(this.path);
  }
}
