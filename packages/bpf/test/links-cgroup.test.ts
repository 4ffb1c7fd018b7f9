// cgroup attach: by bpf_link and by legacy BPF_PROG_ATTACH (multi), query,
// and the effect on a real child process placed in a test cgroup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { assemble } from '@lockne/obj';
import {
  AttachFlags, ArgumentError, CgroupHooks, Program, SyscallError, attachCgroup, attachCgroupLegacy, cgroup2Root,
  cgroupLinkInfo, cgroupOf, parseCgroup2Mounts, queryCgroup, type CgroupHook,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { TestCgroup } from './support/cgroup.js';
import { TestNetns } from './support/netns.js';
import { constantProgram, counterMap, countingProgram } from './support/progs.js';

checkFdLeaks();

const MARK = 0x1234;
/** Children doing traffic run in a fresh namespace, where nothing listens on this loopback port. */
const CLOSED_PORT = 9;

/** cgroup/sock_create: sk->mark = 0x1234 (offsetof(struct bpf_sock, mark) = 16); allow. */
function markProgram(): Program {
  return Program.load({
    type: 'CGROUP_SOCK',
    expectedAttachType: 'CGROUP_INET_SOCK_CREATE',
    name: 'lk_mark',
    instructions: assemble(`
      r2 = ${MARK}
      *(u32 *)(r1 + 16) = r2
      r0 = 1
      exit
    `),
  });
}

function childMark(cg: TestCgroup): number {
  const [r] = cg.runChild(['mark']);
  return r!.mark as number;
}

test('cgroup2 mount is read from mountinfo', (t) => {
  const sample = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    '90 41 0:38 /sub /mnt/with\\040space rw - cgroup2 cgroup2 rw',
  ].join('\n');
  assert.deepEqual(parseCgroup2Mounts(sample), ['/sys/fs/cgroup/unified']);
  assert.deepEqual(parseCgroup2Mounts('90 41 0:38 / /mnt/with\\040space rw shared:1 - cgroup2 none rw'), ['/mnt/with space']);
  if (skipUnless(t, fs.existsSync('/proc/self/mountinfo') ? null : 'no /proc/self/mountinfo')) return;
  const root = cgroup2Root();
  assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${root} `), true);
  assert.ok(fs.existsSync(`${root}/cgroup.procs`));
  assert.ok(cgroupOf().startsWith(root));
});

test('sock_create link sets SO_MARK in the child; gone after close', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cg = TestCgroup.create();
  const prog = markProgram();
  try {
    const [where] = cg.runChild(['cgroup']);
    assert.equal(`${cgroup2Root()}${where!.path as string}`, cg.path, 'the child runs inside the test cgroup');
    assert.equal(childMark(cg), 0);
    const link = attachCgroup(prog, cg.path, 'sock_create');
    try {
      assert.equal(childMark(cg), MARK);
      const info = link.info();
      assert.equal(info.typeName, 'CGROUP');
      assert.equal(info.progId, prog.info().id);
      const li = cgroupLinkInfo(link);
      assert.equal(li.cgroupId, BigInt(fs.statSync(cg.path).ino));
      assert.equal(li.attachType, 2 /* BPF_CGROUP_INET_SOCK_CREATE */);
      const q = queryCgroup(cg.path, 'sock_create');
      assert.deepEqual(q.progIds, [prog.info().id]);
      assert.equal(q.attachFlags, AttachFlags.ALLOW_MULTI, 'link attachments are multi');
    } finally {
      link.close();
    }
    assert.equal(childMark(cg), 0, 'no mark once the link is closed');
    assert.deepEqual(queryCgroup(cg.path, 'sock_create').progIds, []);
  } finally {
    prog.close();
    cg.remove();
  }
});

test('sock_create by legacy multi-attach; detaches even after the program fd is closed', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cg = TestCgroup.create();
  const prog = markProgram();
  const other = constantProgram({ type: 'CGROUP_SOCK', expectedAttachType: 'CGROUP_INET_SOCK_CREATE', name: 'lk_allow' }, 1);
  const ids = [prog.info().id, other.info().id];
  const dir = fs.openSync(cg.path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    const a = attachCgroupLegacy(prog, cg.path, 'sock_create');
    // A second program on the same hook, attached through a caller-owned fd.
    const b = attachCgroupLegacy(other, dir, 'CGROUP_INET_SOCK_CREATE');
    try {
      assert.equal(childMark(cg), MARK);
      const q = queryCgroup(cg.path, 'sock_create');
      assert.deepEqual(q.progIds, ids);
      assert.equal(q.attachFlags, AttachFlags.ALLOW_MULTI);
      assert.deepEqual(q.progAttachFlags, [AttachFlags.ALLOW_MULTI, AttachFlags.ALLOW_MULTI]);
      // Effective query from the child's view: the same two, inherited nowhere else.
      assert.deepEqual(queryCgroup(cg.path, 'sock_create', { effective: true }).progIds, ids);
      prog.close(); // the attachment holds its own reference
      a.close();
      assert.equal(childMark(cg), 0);
      assert.deepEqual(queryCgroup(cg.path, 'sock_create').progIds, [ids[1]]);
      a.close(); // idempotent
    } finally {
      a.close();
      b.close();
    }
    assert.deepEqual(queryCgroup(cg.path, 'sock_create').progIds, []);
  } finally {
    fs.closeSync(dir);
    prog.close();
    other.close();
    cg.remove();
  }
});

test('exclusive legacy attach is refused while multi programs are attached', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cg = TestCgroup.create();
  const prog = constantProgram({ type: 'CGROUP_SOCK', expectedAttachType: 'CGROUP_INET_SOCK_CREATE' }, 1);
  try {
    const link = attachCgroup(prog, cg.path, 'sock_create');
    try {
      assert.throws(() => attachCgroupLegacy(prog, cg.path, 'sock_create', { mode: 'exclusive' }), (e: unknown) => {
        assert.ok(e instanceof SyscallError);
        assert.equal(e.syscall, 'BPF_PROG_ATTACH');
        assert.equal(e.code, 'EPERM');
        assert.match(e.message, /BPF_PROG_ATTACH failed: EPERM \(sock_create on cgroup .*lk\d+c\d+/);
        return true;
      });
    } finally {
      link.close();
    }
  } finally {
    prog.close();
    cg.remove();
  }
});

test('connect4 returning 0 makes connect() fail with EPERM', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cg = TestCgroup.create();
  const netns = TestNetns.create();
  const deny = constantProgram({ type: 'CGROUP_SOCK_ADDR', expectedAttachType: 'CGROUP_INET4_CONNECT', name: 'lk_deny' }, 0);
  try {
    assert.deepEqual(cg.runChild(['connect', CLOSED_PORT], { netns }), [{ op: 'connect', result: 'ECONNREFUSED' }]);
    const link = attachCgroup(deny, cg.path, 'connect4');
    try {
      assert.deepEqual(cg.runChild(['connect', CLOSED_PORT], { netns }), [{ op: 'connect', result: 'EPERM' }]);
    } finally {
      link.close();
    }
    const legacy = attachCgroupLegacy(deny, cg.path, 'connect4');
    try {
      assert.deepEqual(cg.runChild(['connect', CLOSED_PORT], { netns }), [{ op: 'connect', result: 'EPERM' }]);
    } finally {
      legacy.close();
    }
    assert.deepEqual(cg.runChild(['connect', CLOSED_PORT], { netns }), [{ op: 'connect', result: 'ECONNREFUSED' }]);
  } finally {
    deny.close();
    try { cg.remove(); } finally { netns.delete(); }
  }
});

test('cgroup_skb egress counts the child\'s UDP packets', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cg = TestCgroup.create();
  const netns = TestNetns.create();
  const counts = counterMap();
  const prog = countingProgram({ type: 'CGROUP_SKB', expectedAttachType: 'CGROUP_INET_EGRESS', name: 'lk_egress' }, counts, 1);
  try {
    const link = attachCgroup(prog, cg.path, 'egress');
    try {
      assert.equal(counts.get(0), 0n);
      assert.deepEqual(cg.runChild(['udp', CLOSED_PORT, 3], { netns }), [{ op: 'udp', sent: 3 }]);
      assert.ok(counts.get(0)! >= 3n, `counted ${counts.get(0)} packets, sent 3`);
    } finally {
      link.close();
    }
    const before = counts.get(0)!;
    cg.runChild(['udp', CLOSED_PORT, 3], { netns });
    assert.equal(counts.get(0), before, 'nothing counted after detach');
  } finally {
    prog.close();
    counts.close();
    try { cg.remove(); } finally { netns.delete(); }
  }
});

test('every cgroup hook attaches by link and by legacy multi, and shows in the query', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cg = TestCgroup.create();
  try {
    for (const [hook, spec] of Object.entries(CgroupHooks) as [CgroupHook, (typeof CgroupHooks)[CgroupHook]][]) {
      const prog = constantProgram({ type: spec.progType, expectedAttachType: spec.attachType }, 1);
      try {
        const id = prog.info().id;
        const link = attachCgroup(prog, cg.path, hook);
        try {
          assert.deepEqual(queryCgroup(cg.path, hook).progIds, [id], `${hook} by link`);
        } finally {
          link.close();
        }
        const legacy = attachCgroupLegacy(prog, cg.path, hook);
        try {
          assert.deepEqual(queryCgroup(cg.path, hook).progIds, [id], `${hook} by PROG_ATTACH`);
        } finally {
          legacy.close();
        }
        assert.deepEqual(queryCgroup(cg.path, hook).progIds, [], `${hook} detached`);
      } finally {
        prog.close();
      }
    }
  } finally {
    cg.remove();
  }
});

test('cgroup attach errors name what failed', (t) => {
  if (skipUnless(t, needRoot())) return;
  assert.throws(() => queryCgroup(cgroup2Root(), 'TCX_INGRESS'), (e: unknown) =>
    e instanceof ArgumentError && /'TCX_INGRESS' is not a cgroup attach type/.test(e.message));
  const prog = constantProgram({ type: 'CGROUP_SOCK', expectedAttachType: 'CGROUP_INET_SOCK_CREATE' }, 1);
  const cg = TestCgroup.create();
  try {
    assert.throws(() => attachCgroup(prog, `${cg.path}-missing`, 'sock_create'), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'open' && e.code === 'ENOENT' && e.message.includes('-missing'));
    // A CGROUP_SOCK program on a CGROUP_SOCK_ADDR hook.
    assert.throws(() => attachCgroup(prog, cg.path, 'connect4'), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'BPF_LINK_CREATE' && e.code === 'EINVAL' && /connect4 link on cgroup/.test(e.message));
  } finally {
    prog.close();
    cg.remove();
  }
});
