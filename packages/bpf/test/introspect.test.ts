// Introspection: listPrograms/listMaps/listLinks/listBtf report what bpftool
// reports for the same ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { assemble } from '@lockne/obj';
import {
  BpfMap, Link, Program, SyscallError, createCgroup, listBtf, listLinks, listMaps, listPrograms, linkById, mapById,
  openCgroup, programById, removeCgroup, u32, u64,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless, uniqueName } from './support/kernel.js';

checkFdLeaks();

function haveBpftool(): string | null {
  try {
    execFileSync('bpftool', ['version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'bpftool not installed (apt-get install -y --no-install-recommends bpftool)';
  }
}

/** `bpftool -j <args>` parsed. */
function bpftool(...args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8' })) as Record<string, unknown>;
}

test('programs, maps and links match bpftool for the same ids', (t) => {
  if (skipUnless(t, needRoot() ?? haveBpftool())) return;
  const cg = createCgroup(uniqueName('cg'));
  const map = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 16, name: 'lk_intro_map' });
  let prog: Program | undefined;
  let link: Link | undefined;
  let cgFd = -1;
  try {
    prog = Program.load({
      type: 'CGROUP_SKB',
      name: 'lk_intro_prog',
      expectedAttachType: 'CGROUP_INET_INGRESS',
      instructions: assemble(`
        r1 = 0
        *(u32 *)(r10 - 4) = r1
        r2 = r10
        r2 += -4
        r1 = map_fd(${map.fd}) ll
        call bpf_map_lookup_elem
        r0 = 1
        exit`),
    });
    cgFd = openCgroup(cg);
    link = Link.create(prog, cgFd, 'CGROUP_INET_INGRESS');
    const progId = prog.info().id;
    const mapId = map.info().id;
    const linkId = link.info().id;

    const p = listPrograms().find((x) => x.id === progId);
    assert.ok(p, `program ${progId} listed`);
    const bp = bpftool('prog', 'show', 'id', String(progId));
    assert.equal(bp.id, p.id);
    assert.equal(bp.type, p.typeName.toLowerCase());
    assert.equal(bp.name, p.name);
    assert.equal(bp.name, 'lk_intro_prog');
    assert.equal(bp.tag, p.tag);
    assert.equal(bp.bytes_xlated, p.xlatedLength);
    assert.equal(bp.bytes_jited, p.jitedLength);
    assert.equal(bp.uid, p.createdByUid);
    assert.deepEqual(bp.map_ids, p.mapIds);
    assert.deepEqual(p.mapIds, [mapId]);

    const m = listMaps().find((x) => x.id === mapId);
    assert.ok(m, `map ${mapId} listed`);
    const bm = bpftool('map', 'show', 'id', String(mapId));
    assert.equal(bm.type, m.typeName.toLowerCase());
    assert.equal(bm.name, m.name);
    assert.equal(bm.flags, m.flags);
    assert.equal(bm.bytes_key, m.keySize);
    assert.equal(bm.bytes_value, m.valueSize);
    assert.equal(bm.max_entries, m.maxEntries);

    const l = listLinks().find((x) => x.id === linkId);
    assert.ok(l, `link ${linkId} listed`);
    const bl = bpftool('link', 'show', 'id', String(linkId));
    assert.equal(bl.type, l.typeName.toLowerCase());
    assert.equal(bl.prog_id, l.progId);
    assert.equal(l.progId, progId);
    assert.equal(l.target.kind, 'cgroup');
    if (l.target.kind === 'cgroup') {
      assert.equal(BigInt(bl.cgroup_id as number), l.target.cgroupId);
      // A cgroup's id is its directory's inode number.
      assert.equal(l.target.cgroupId, BigInt(fs.statSync(cg).ino));
      assert.equal(bl.attach_type, l.target.attachType.toLowerCase());
    }
  } finally {
    link?.close();
    prog?.close();
    map.close();
    if (cgFd >= 0) fs.closeSync(cgFd);
    removeCgroup(cg);
  }
});

test('listBtf includes vmlinux as bpftool shows it', (t) => {
  if (skipUnless(t, needRoot() ?? haveBpftool())) return;
  const vmlinux = listBtf().find((b) => b.name === 'vmlinux');
  assert.ok(vmlinux, 'vmlinux BTF listed');
  assert.equal(vmlinux.kernel, true);
  const shown = bpftool('btf', 'show', 'id', String(vmlinux.id));
  assert.equal(shown.name, 'vmlinux');
  assert.equal(shown.size, vmlinux.size);
  assert.equal(shown.kernel, true);
});

test('objects opened by id are typed and owned; unknown ids fail with ENOENT naming the id', (t) => {
  if (skipUnless(t, needRoot())) return;
  const map = BpfMap.create({ type: 'ARRAY', key: u32, value: u32, maxEntries: 2, name: 'lk_intro_byid' });
  const prog = Program.load({ type: 'SOCKET_FILTER', name: 'lk_intro_byid', instructions: assemble('r0 = 0; exit') });
  try {
    const m2 = mapById(map.info().id);
    try {
      m2.setBytes(new Uint8Array([1, 0, 0, 0]), new Uint8Array([5, 0, 0, 0]));
      assert.equal(map.get(1), 5, 'same map through the id');
      assert.equal(m2.name, 'lk_intro_byid');
    } finally {
      m2.close();
    }
    const p2 = programById(prog.info().id);
    try {
      assert.equal(p2.info().tag, prog.info().tag);
    } finally {
      p2.close();
    }
  } finally {
    prog.close();
    map.close();
  }
  // Ids count up from 1 and are never this large on a test machine.
  const bogus = 0x7ffffff0;
  for (const [open, cmd, what] of [[mapById, 'BPF_MAP_GET_FD_BY_ID', 'map'], [programById, 'BPF_PROG_GET_FD_BY_ID', 'program'], [linkById, 'BPF_LINK_GET_FD_BY_ID', 'link']] as const) {
    assert.throws(() => open(bogus), (e: unknown) =>
      e instanceof SyscallError && e.code === 'ENOENT' && e.syscall === cmd && e.message.includes(`${what} id ${bogus}`));
  }
});
