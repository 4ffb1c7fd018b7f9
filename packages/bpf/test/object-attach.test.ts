// ObjectProgram.attach(): programs of clang-built objects attach where their
// section name says (tracepoint, raw_tp, tp_btf, iter, uprobe, xdp, tcx,
// cgroup), and the effect is observed (events counted, packets seen, connect
// refused). Kinds this kernel refuses (kprobe: no PMU; fentry: EPERM at load)
// surface as clean typed errors, and missing attach options as ArgumentError.
// Also the externs such programs use: ksyms and kfuncs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  ArgumentError, BpfObject, IterLink, NotSupportedError, ObjectVerifierError, SyscallError, createCgroup, removeCgroup,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { clangMissing, compileBpfC } from './support/clang.js';

checkFdLeaks();

const tag = `lk${process.pid % 100000}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}att-`));
const compile = (name: string, src: string): string => compileBpfC(tmp, name, src);
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));



const HEAD = '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n';

test('tracepoint/sched/sched_process_exec: attach() by section, exec counted in a BTF hash map read as JS objects', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('exec', `${HEAD}
struct stats { __u64 execs; __u32 last_pid; char comm[16]; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, __u32); __type(value, struct stats); } by_ppid SEC(".maps");
const volatile __u32 parent = 0;
SEC("tracepoint/sched/sched_process_exec")
int count_exec(void *ctx)
{
  __u32 pid = bpf_get_current_pid_tgid() >> 32;
  __u32 key = parent;
  struct stats *s = bpf_map_lookup_elem(&by_ppid, &key);
  if (!s) {
    struct stats init = { .execs = 0 };
    bpf_map_update_elem(&by_ppid, &key, &init, BPF_NOEXIST);
    s = bpf_map_lookup_elem(&by_ppid, &key);
    if (!s) return 0;
  }
  __sync_fetch_and_add(&s->execs, 1);
  s->last_pid = pid;
  bpf_get_current_comm(s->comm, sizeof(s->comm));
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`);
  const obj = BpfObject.load(o, { rodata: { parent: 7 } });
  try {
    const p = obj.program('count_exec');
    assert.equal(p.def.kind, 'tracepoint');
    assert.equal(p.def.target, 'sched/sched_process_exec');
    const link = p.attach();
    let child: number;
    try {
      child = spawnSync('/bin/true').pid ?? 0;
    } finally {
      link.close();
    }
    const s = obj.map('by_ppid').get(7) as { execs: bigint; last_pid: number; comm: string };
    assert.ok(s, 'the program ran on exec');
    assert.ok(s.execs >= 1n, `execs ${s.execs}`);
    assert.equal(typeof s.last_pid, 'number');
    assert.equal(typeof s.comm, 'string');
    assert.ok(child > 0);
  } finally {
    obj.close();
  }
});

test('clang object: untyped ksym (address), kfuncs, a weak missing kfunc guarded by its address', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('ksyms', `${HEAD}
extern const void _stext __ksym;
struct task_struct;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void lk_no_such_kfunc(void) __ksym __weak;
__u64 addr, acquired, missing_called;
SEC("tp_btf/sched_process_exec")
int on_exec(__u64 *ctx) {
  struct task_struct *p = (struct task_struct *)ctx[0];
  struct task_struct *t = bpf_task_acquire(p);
  if (t) { acquired = 1; bpf_task_release(t); }
  addr = (__u64)&_stext;
  if (lk_no_such_kfunc) { lk_no_such_kfunc(); missing_called = 1; }  /* bpf_ksym_exists() in newer libbpf */
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`);
  const obj = BpfObject.load(o);
  try {
    const link = obj.program('on_exec').attach();
    try {
      execFileSync('/bin/true');
    } finally {
      link.close();
    }
    const m = /^([0-9a-f]+) \S+ _stext$/m.exec(fs.readFileSync('/proc/kallsyms', 'utf8'));
    assert.ok(m, '_stext in /proc/kallsyms');
    assert.equal(obj.globals.get('addr'), BigInt(`0x${m[1]}`), 'untyped ksym = its kallsyms address');
    assert.equal(obj.globals.get('acquired'), 1n, 'kfunc bpf_task_acquire was called');
    assert.equal(obj.globals.get('missing_called'), 0n, 'the weak missing kfunc resolved to 0 and was not called');
  } finally {
    obj.close();
  }
});

test('clang object: a typed data ksym is refused here (no kallsyms for data) with a clean ENOENT naming the program', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  // KERNEL-NOTES: CONFIG_KALLSYMS_ALL is off, so BPF_PROG_LOAD cannot find the
  // address of a typed per-CPU ksym, as with libbpf (see corpus/ksym_typed_refused).
  const o = compile('ksymtyped', `${HEAD}
extern const int bpf_prog_active __ksym;
SEC("tc") int typed(struct __sk_buff *skb) { const int *a = bpf_this_cpu_ptr(&bpf_prog_active); return *a; }
char LICENSE[] SEC("license") = "GPL";
`);
  assert.throws(() => BpfObject.load(o), (e: unknown) => {
    assert.ok(e instanceof SyscallError);
    assert.equal(e.code, 'ENOENT');
    assert.match(e.message, /BPF_PROG_LOAD failed: ENOENT \(program 'typed' in section 'tc'\)/);
    return true;
  });
});

const EXEC_COUNTERS = `${HEAD}
__u64 raw_count, btf_count;
SEC("raw_tp/sched_process_exec") int on_raw(void *ctx) { __sync_fetch_and_add(&raw_count, 1); return 0; }
SEC("tp_btf/sched_process_exec") int on_btf(__u64 *ctx) { __sync_fetch_and_add(&btf_count, 1); return 0; }
char LICENSE[] SEC("license") = "GPL";
`;

test('raw_tp and tp_btf sections attach by name / by attach BTF id and count execs', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const obj = BpfObject.load(compile('rawbtf', EXEC_COUNTERS));
  try {
    const links = [obj.program('on_raw').attach(), obj.program('on_btf').attach()];
    try {
      execFileSync('/bin/true');
    } finally {
      for (const l of links) l.close();
    }
    assert.ok((obj.globals.get('raw_count') as bigint) >= 1n);
    assert.ok((obj.globals.get('btf_count') as bigint) >= 1n);
    const after = obj.globals.get('raw_count');
    execFileSync('/bin/true');
    assert.equal(obj.globals.get('raw_count'), after, 'detached by close()');
  } finally {
    obj.close();
  }
});

test('iter/task: attach() gives an iterator link whose read() lists this process', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('iter', `${HEAD}
struct seq_file;
struct bpf_iter_meta { struct seq_file *seq; } __attribute__((preserve_access_index));
struct task_struct { int pid; int tgid; } __attribute__((preserve_access_index));
struct bpf_iter__task { struct bpf_iter_meta *meta; struct task_struct *task; } __attribute__((preserve_access_index));
SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
  struct task_struct *t = ctx->task;
  if (!t) return 0;
  if (t->pid == t->tgid) BPF_SEQ_PRINTF(ctx->meta->seq, "%d\\n", t->tgid);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`);
  const obj = BpfObject.load(o);
  try {
    const link = obj.program('dump_task').attach();
    try {
      assert.ok(link instanceof IterLink);
      const pids = link.read().toString().split('\n').filter(Boolean).map(Number);
      assert.ok(pids.includes(process.pid), 'this process is among the tasks');
    } finally {
      link.close();
    }
  } finally {
    obj.close();
  }
});

test('uprobe/PATH:FUNCTION: attach() parses the section target and the probe fires', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const libc = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/aarch64-linux-gnu/libc.so.6'].find((p) => fs.existsSync(p));
  if (skipUnless(t, libc ? null : 'no glibc found')) return;
  const o = compile('uprobe', `${HEAD}
__u64 hits;
SEC("uprobe/${fs.realpathSync(libc!)}:exit") int on_exit_call(void *ctx) { __sync_fetch_and_add(&hits, 1); return 0; }
char LICENSE[] SEC("license") = "GPL";
`);
  const obj = BpfObject.load(o);
  try {
    const link = obj.program('on_exit_call').attach();
    try {
      execFileSync('/bin/true'); // returns from main: libc calls exit()
    } finally {
      link.close();
    }
    assert.ok((obj.globals.get('hits') as bigint) >= 1n);
  } finally {
    obj.close();
  }
});

test('kprobe sections load, but attach() surfaces the missing kprobe PMU; fentry is refused at load with EPERM', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const kp = compile('kprobe', `${HEAD}
SEC("kprobe/do_unlinkat") int on_unlink(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
`);
  const obj = BpfObject.load(kp);
  try {
    // KERNEL-NOTES: CONFIG_KPROBES is off, there is no kprobe PMU.
    const hasPmu = fs.existsSync('/sys/bus/event_source/devices/kprobe/type');
    if (hasPmu) {
      obj.program('on_unlink').attach().close();
    } else {
      assert.throws(() => obj.program('on_unlink').attach(), (e: unknown) => e instanceof NotSupportedError && /kprobe/.test(e.message));
    }
  } finally {
    obj.close();
  }
  const fe = compile('fentry', `${HEAD}
SEC("fentry/do_unlinkat") int on_unlink_entry(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
`);
  try {
    BpfObject.load(fe).close(); // a kernel that allows trampolines
  } catch (e) {
    // KERNEL-NOTES: trampolines are forbidden here: EPERM with an empty verifier log.
    assert.ok(e instanceof ObjectVerifierError, String(e));
    assert.equal(e.code, 'EPERM');
    assert.equal(e.program, 'on_unlink_entry');
    assert.equal(e.section, 'fentry/do_unlinkat');
    assert.match(e.message, /BPF_PROG_LOAD failed: EPERM \(program 'on_unlink_entry' in section 'fentry\/do_unlinkat'\)/);
  }
});

/** Run `fn` with a fresh network namespace (lo up); removed afterwards. */
function withNs(fn: (name: string) => void): void {
  const name = `${tag}ns`;
  execFileSync('ip', ['netns', 'add', name]);
  try {
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    fn(name);
  } finally {
    execFileSync('ip', ['netns', 'del', name]);
  }
}

function pingInNs(ns: string, count: number): void {
  execFileSync('nsenter', [`--net=/run/netns/${ns}`, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', '127.0.0.1'], { stdio: 'ignore' });
}

const NET_COUNTERS = `${HEAD}
__u64 xdp_seen, tcx_seen;
SEC("xdp") int xdp_count(struct xdp_md *ctx) { __sync_fetch_and_add(&xdp_seen, 1); return XDP_PASS; }
SEC("tcx/ingress") int tcx_count(struct __sk_buff *skb) { __sync_fetch_and_add(&tcx_seen, 1); return -1; /* TCX_NEXT */ }
char LICENSE[] SEC("license") = "GPL";
`;

test('xdp and tcx/ingress attach to an interface in a network namespace and see its packets', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const obj = BpfObject.load(compile('net', NET_COUNTERS));
  try {
    assert.throws(() => obj.program('xdp_count').attach(),
      (e: unknown) => e instanceof ArgumentError && /program 'xdp_count' \(section 'xdp'\): attach\(\) needs opts\.ifname/.test(e.message));
    withNs((ns) => {
      const x = obj.program('xdp_count').attach({ ifname: 'lo', netns: ns, xdpMode: 'generic' });
      const c = obj.program('tcx_count').attach({ ifname: 'lo', netns: ns });
      try {
        pingInNs(ns, 2);
      } finally {
        x.close();
        c.close();
      }
    });
    assert.ok((obj.globals.get('xdp_seen') as bigint) >= 4n, `xdp saw ${obj.globals.get('xdp_seen')} packets (2 requests + 2 replies on lo)`);
    assert.ok((obj.globals.get('tcx_seen') as bigint) >= 4n, `tcx saw ${obj.globals.get('tcx_seen')}`);
  } finally {
    obj.close();
  }
});

test('cgroup/connect4 attaches to the cgroup given in options: connect() from inside is refused', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('connect', `${HEAD}
__u64 refused;
SEC("cgroup/connect4") int deny(struct bpf_sock_addr *ctx) { __sync_fetch_and_add(&refused, 1); return 0; }
char LICENSE[] SEC("license") = "GPL";
`);
  const obj = BpfObject.load(o);
  const cg = createCgroup(`${tag}cg`);
  try {
    const p = obj.program('deny');
    assert.throws(() => p.attach(), (e: unknown) => e instanceof ArgumentError && /needs opts\.cgroup/.test(e.message));
    const link = p.attach({ cgroup: cg });
    let r;
    try {
      // bash moves itself into the cgroup, then connects with /dev/tcp.
      r = spawnSync('bash', ['-c', `echo $$ > ${cg}/cgroup.procs && exec 3<>/dev/tcp/127.0.0.1/9`], { encoding: 'utf8' });
    } finally {
      link.close();
    }
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Operation not permitted/);
    assert.equal(obj.globals.get('refused'), 1n);
  } finally {
    obj.close();
    removeCgroup(cg);
  }
});

test('sections that need options say which', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('needs', `${HEAD}
SEC("tc") int plain_tc(struct __sk_buff *skb) { return 0; }
SEC("sk_msg") int msg(struct sk_msg_md *msg) { return SK_PASS; }
SEC("perf_event") int sample(void *ctx) { return 0; }
SEC("sk_lookup") int lookup(struct bpf_sk_lookup *ctx) { return SK_PASS; }
char LICENSE[] SEC("license") = "GPL";
`);
  const obj = BpfObject.load(o);
  try {
    const cases: [string, RegExp][] = [
      ['plain_tc', /needs opts\.ifname/],
      ['msg', /needs opts\.map \(the SOCKMAP or SOCKHASH\)/],
      ['sample', /needs opts\.perfEvent/],
      ['lookup', /needs opts\.netns/],
    ];
    for (const [name, re] of cases) {
      assert.throws(() => obj.program(name).attach(), (e: unknown) => e instanceof ArgumentError && re.test(e.message), name);
    }
    assert.throws(() => obj.program('plain_tc').attach({ ifname: 'lo' }), /needs opts\.direction/);
  } finally {
    obj.close();
  }
});
