// Test support (same contract as packages/bpf/test/support/kernel.ts): skip
// only for a missing kernel capability (fail under LOCKNE_REQUIRE_KERNEL=1),
// and fail the file when it leaks fds.
import fs from 'node:fs';
import { after, before, type TestContext } from 'node:test';

export const requireKernel = process.env.LOCKNE_REQUIRE_KERNEL === '1';

export function skipUnless(t: TestContext, missing: string | null): boolean {
  if (!missing) return false;
  if (requireKernel) throw new Error(`required kernel support missing: ${missing}`);
  t.skip(missing);
  return true;
}

export function needRoot(): string | null {
  return process.getuid?.() === 0 ? null : 'needs root (bpf syscall)';
}

function openFds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try { out.set(fd, fs.readlinkSync(`/proc/self/fd/${fd}`)); } catch { /* readdir's own fd */ }
  }
  return out;
}

export function checkFdLeaks(): void {
  let baseline = new Map<string, string>();
  before(() => { baseline = openFds(); });
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
