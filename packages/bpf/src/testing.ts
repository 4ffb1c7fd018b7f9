// Helpers for tests that run against the real kernel, as Lockne's own suites
// do (import from '@lockne/bpf/testing'): skip only for missing kernel support
// (and under LOCKNE_REQUIRE_KERNEL=1, as in CI, fail instead), fail a test file
// that leaves file descriptors open, and name objects so cleanup finds them.
// Not part of the main entry point: it imports node:test.
import fs from 'node:fs';
import { after, before } from 'node:test';
import type { TestContext } from 'node:test';

export const requireKernel = process.env.LOCKNE_REQUIRE_KERNEL === '1';
export const isRoot = process.getuid?.() === 0;

/**
 * Skip (or, under LOCKNE_REQUIRE_KERNEL=1, fail) when `missing` names a reason.
 * Returns true when the test should stop.
 */
export function skipUnless(t: TestContext, missing: string | null): boolean {
  if (!missing) return false;
  if (requireKernel) throw new Error(`required kernel support missing: ${missing}`);
  t.skip(missing);
  return true;
}

/** The reason root-only tests cannot run, or null. */
export function needRoot(): string | null {
  return isRoot ? null : 'needs root (bpf syscall)';
}

/** A name unique to this process, prefixed so cleanup can find our objects. */
let counter = 0;
export function uniqueName(kind: string): string {
  return `lk${kind}${process.pid % 100000}x${counter++}`.slice(0, 15);
}

function openFds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      out.set(fd, fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the fd used by readdir itself is gone by now
    }
  }
  return out;
}

/**
 * Fail the test file when it leaves bpf objects, perf events or sockets open.
 * Call once at the top level of a test file.
 */
export function checkFdLeaks(): void {
  let baseline = new Map<string, string>();
  before(() => {
    baseline = openFds();
  });
  after(async () => {
    const leaks = (): string[] => {
      const out: string[] = [];
      for (const [fd, target] of openFds()) {
        if (baseline.get(fd) === target) continue;
        // libuv may open its own pipes, epoll and eventfds lazily; everything else counts.
        if (/^(pipe:|anon_inode:\[(eventpoll|eventfd|signalfd|timerfd)\]|\/dev\/(null|pts|tty|urandom))/.test(target)) continue;
        out.push(`fd ${fd} -> ${target}`);
      }
      return out;
    };
    // A handle closed in the last test (a socket, a child's stdio socketpair)
    // is released by libuv a loop turn or two later: give closes in flight up
    // to half a second; a real leak stays open.
    let leaked = leaks();
    for (const deadline = Date.now() + 500; leaked.length && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 10));
      leaked = leaks();
    }
    if (leaked.length) throw new Error(`leaked file descriptors:\n  ${leaked.join('\n  ')}`);
  });
}
