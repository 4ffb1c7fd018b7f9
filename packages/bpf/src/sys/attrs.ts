// Every union bpf_attr variant and info struct Lockne passes to bpf(2), laid out
// once. Offsets follow include/uapi/linux/bpf.h; test/uapi.test.ts compiles a C
// program against the build machine's header and compares each offset that
// header knows (fields marked newerThanHeader are checked by the kernel itself:
// it rejects non-zero bytes it does not understand).
import { struct } from './layout.js';

const A = 'union bpf_attr';
const NEW = { newerThanHeader: true } as const;

export const MapCreateAttr = struct('map_create', A, {
  map_type: { offset: 0, type: 'u32' },
  key_size: { offset: 4, type: 'u32' },
  value_size: { offset: 8, type: 'u32' },
  max_entries: { offset: 12, type: 'u32' },
  map_flags: { offset: 16, type: 'u32' },
  inner_map_fd: { offset: 20, type: 'u32' },
  numa_node: { offset: 24, type: 'u32' },
  map_name: { offset: 28, type: { bytes: 16 } },
  map_ifindex: { offset: 44, type: 'u32' },
  btf_fd: { offset: 48, type: 'u32' },
  btf_key_type_id: { offset: 52, type: 'u32' },
  btf_value_type_id: { offset: 56, type: 'u32' },
  btf_vmlinux_value_type_id: { offset: 60, type: 'u32' },
  map_extra: { offset: 64, type: 'u64' },
});

export const MapElemAttr = struct('map_elem', A, {
  map_fd: { offset: 0, type: 'u32' },
  key: { offset: 8, type: 'ptr' },
  value: { offset: 16, type: 'ptr' },
  next_key: { offset: 16, type: 'ptr' },
  flags: { offset: 24, type: 'u64' },
});

export const MapBatchAttr = struct('map_batch', A, {
  in_batch: { offset: 0, type: 'ptr', c: 'batch.in_batch' },
  out_batch: { offset: 8, type: 'ptr', c: 'batch.out_batch' },
  keys: { offset: 16, type: 'ptr', c: 'batch.keys' },
  values: { offset: 24, type: 'ptr', c: 'batch.values' },
  count: { offset: 32, type: 'u32', c: 'batch.count' },
  map_fd: { offset: 36, type: 'u32', c: 'batch.map_fd' },
  elem_flags: { offset: 40, type: 'u64', c: 'batch.elem_flags' },
  flags: { offset: 48, type: 'u64', c: 'batch.flags' },
});

export const ProgLoadAttr = struct('prog_load', A, {
  prog_type: { offset: 0, type: 'u32' },
  insn_cnt: { offset: 4, type: 'u32' },
  insns: { offset: 8, type: 'ptr' },
  license: { offset: 16, type: 'ptr' },
  log_level: { offset: 24, type: 'u32' },
  log_size: { offset: 28, type: 'u32' },
  log_buf: { offset: 32, type: 'ptr' },
  kern_version: { offset: 40, type: 'u32' },
  prog_flags: { offset: 44, type: 'u32' },
  prog_name: { offset: 48, type: { bytes: 16 } },
  prog_ifindex: { offset: 64, type: 'u32' },
  expected_attach_type: { offset: 68, type: 'u32' },
  prog_btf_fd: { offset: 72, type: 'u32' },
  func_info_rec_size: { offset: 76, type: 'u32' },
  func_info: { offset: 80, type: 'ptr' },
  func_info_cnt: { offset: 88, type: 'u32' },
  line_info_rec_size: { offset: 92, type: 'u32' },
  line_info: { offset: 96, type: 'ptr' },
  line_info_cnt: { offset: 104, type: 'u32' },
  attach_btf_id: { offset: 108, type: 'u32' },
  attach_prog_fd: { offset: 112, type: 'u32' },
  core_relo_cnt: { offset: 116, type: 'u32' },
  fd_array: { offset: 120, type: 'ptr' },
  core_relos: { offset: 128, type: 'ptr' },
  core_relo_rec_size: { offset: 136, type: 'u32' },
  log_true_size: { offset: 140, type: 'u32', ...NEW },
});

export const ObjPinAttr = struct('obj_pin', A, {
  pathname: { offset: 0, type: 'ptr' },
  bpf_fd: { offset: 8, type: 'u32' },
  file_flags: { offset: 12, type: 'u32' },
});

export const ProgAttachAttr = struct('prog_attach', A, {
  target_fd: { offset: 0, type: 'u32' },
  attach_bpf_fd: { offset: 4, type: 'u32' },
  attach_type: { offset: 8, type: 'u32' },
  attach_flags: { offset: 12, type: 'u32' },
  replace_bpf_fd: { offset: 16, type: 'u32' },
  // mprog targets (tcx, netkit): position relative to a prog/link, and an optimistic-lock revision.
  relative_fd: { offset: 20, type: 'u32', ...NEW },
  expected_revision: { offset: 24, type: 'u64', ...NEW },
});

export const TestRunAttr = struct('test_run', A, {
  prog_fd: { offset: 0, type: 'u32', c: 'test.prog_fd' },
  retval: { offset: 4, type: 'u32', c: 'test.retval' },
  data_size_in: { offset: 8, type: 'u32', c: 'test.data_size_in' },
  data_size_out: { offset: 12, type: 'u32', c: 'test.data_size_out' },
  data_in: { offset: 16, type: 'ptr', c: 'test.data_in' },
  data_out: { offset: 24, type: 'ptr', c: 'test.data_out' },
  repeat: { offset: 32, type: 'u32', c: 'test.repeat' },
  duration: { offset: 36, type: 'u32', c: 'test.duration' },
  ctx_size_in: { offset: 40, type: 'u32', c: 'test.ctx_size_in' },
  ctx_size_out: { offset: 44, type: 'u32', c: 'test.ctx_size_out' },
  ctx_in: { offset: 48, type: 'ptr', c: 'test.ctx_in' },
  ctx_out: { offset: 56, type: 'ptr', c: 'test.ctx_out' },
  flags: { offset: 64, type: 'u32', c: 'test.flags' },
  cpu: { offset: 68, type: 'u32', c: 'test.cpu' },
  batch_size: { offset: 72, type: 'u32', c: 'test.batch_size' },
});

/** BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID share this layout. */
export const GetIdAttr = struct('get_id', A, {
  id: { offset: 0, type: 'u32', c: 'start_id' },
  next_id: { offset: 4, type: 'u32' },
  open_flags: { offset: 8, type: 'u32' },
});

export const InfoByFdAttr = struct('info_by_fd', A, {
  bpf_fd: { offset: 0, type: 'u32', c: 'info.bpf_fd' },
  info_len: { offset: 4, type: 'u32', c: 'info.info_len' },
  info: { offset: 8, type: 'ptr', c: 'info.info' },
});

export const ProgQueryAttr = struct('prog_query', A, {
  target_fd: { offset: 0, type: 'u32', c: 'query.target_fd' },
  attach_type: { offset: 4, type: 'u32', c: 'query.attach_type' },
  query_flags: { offset: 8, type: 'u32', c: 'query.query_flags' },
  attach_flags: { offset: 12, type: 'u32', c: 'query.attach_flags' },
  prog_ids: { offset: 16, type: 'ptr', c: 'query.prog_ids' },
  prog_cnt: { offset: 24, type: 'u32', c: 'query.prog_cnt' },
  prog_attach_flags: { offset: 32, type: 'ptr', c: 'query.prog_attach_flags' },
  link_ids: { offset: 40, type: 'ptr', c: 'query.link_ids', ...NEW },
  link_attach_flags: { offset: 48, type: 'ptr', c: 'query.link_attach_flags', ...NEW },
  revision: { offset: 56, type: 'u64', c: 'query.revision', ...NEW },
});

export const RawTracepointAttr = struct('raw_tracepoint', A, {
  name: { offset: 0, type: 'ptr', c: 'raw_tracepoint.name' },
  prog_fd: { offset: 8, type: 'u32', c: 'raw_tracepoint.prog_fd' },
  cookie: { offset: 16, type: 'u64', c: 'raw_tracepoint.cookie', ...NEW },
});

export const BtfLoadAttr = struct('btf_load', A, {
  btf: { offset: 0, type: 'ptr' },
  btf_log_buf: { offset: 8, type: 'ptr' },
  btf_size: { offset: 16, type: 'u32' },
  btf_log_size: { offset: 20, type: 'u32' },
  btf_log_level: { offset: 24, type: 'u32' },
  btf_log_true_size: { offset: 28, type: 'u32', ...NEW },
});

/** link_create: the common head plus every per-kind tail (they overlap from offset 16). */
export const LinkCreateAttr = struct('link_create', A, {
  prog_fd: { offset: 0, type: 'u32', c: 'link_create.prog_fd' },
  target_fd: { offset: 4, type: 'u32', c: 'link_create.target_fd' },
  attach_type: { offset: 8, type: 'u32', c: 'link_create.attach_type' },
  flags: { offset: 12, type: 'u32', c: 'link_create.flags' },
  target_btf_id: { offset: 16, type: 'u32', c: 'link_create.target_btf_id' },
  iter_info: { offset: 16, type: 'ptr', c: 'link_create.iter_info' },
  iter_info_len: { offset: 24, type: 'u32', c: 'link_create.iter_info_len' },
  perf_bpf_cookie: { offset: 16, type: 'u64', c: 'link_create.perf_event.bpf_cookie' },
  tracing_cookie: { offset: 24, type: 'u64', c: 'link_create.tracing.cookie' },
  netfilter_pf: { offset: 16, type: 'u32', c: 'link_create.netfilter.pf', ...NEW },
  netfilter_hooknum: { offset: 20, type: 'u32', c: 'link_create.netfilter.hooknum', ...NEW },
  netfilter_priority: { offset: 24, type: 's32', c: 'link_create.netfilter.priority', ...NEW },
  netfilter_flags: { offset: 28, type: 'u32', c: 'link_create.netfilter.flags', ...NEW },
  tcx_relative_fd: { offset: 16, type: 'u32', c: 'link_create.tcx.relative_fd', ...NEW },
  tcx_expected_revision: { offset: 24, type: 'u64', c: 'link_create.tcx.expected_revision', ...NEW },
  kprobe_multi_flags: { offset: 16, type: 'u32', c: 'link_create.kprobe_multi.flags' },
  kprobe_multi_cnt: { offset: 20, type: 'u32', c: 'link_create.kprobe_multi.cnt' },
  kprobe_multi_syms: { offset: 24, type: 'ptr', c: 'link_create.kprobe_multi.syms' },
  kprobe_multi_addrs: { offset: 32, type: 'ptr', c: 'link_create.kprobe_multi.addrs' },
  kprobe_multi_cookies: { offset: 40, type: 'ptr', c: 'link_create.kprobe_multi.cookies' },
});

export const LinkUpdateAttr = struct('link_update', A, {
  link_fd: { offset: 0, type: 'u32', c: 'link_update.link_fd' },
  new_prog_fd: { offset: 4, type: 'u32', c: 'link_update.new_prog_fd' },
  flags: { offset: 8, type: 'u32', c: 'link_update.flags' },
  old_prog_fd: { offset: 12, type: 'u32', c: 'link_update.old_prog_fd' },
});

export const LinkDetachAttr = struct('link_detach', A, {
  link_fd: { offset: 0, type: 'u32', c: 'link_detach.link_fd' },
});

export const EnableStatsAttr = struct('enable_stats', A, {
  type: { offset: 0, type: 'u32', c: 'enable_stats.type' },
});

/** union bpf_iter_link_info: what link_create.iter_info points at (map, cgroup and task iterators). */
export const IterLinkInfo = struct('bpf_iter_link_info', 'union bpf_iter_link_info', {
  map_fd: { offset: 0, type: 'u32', c: 'map.map_fd' },
  cgroup_order: { offset: 0, type: 'u32', c: 'cgroup.order' },
  cgroup_fd: { offset: 4, type: 'u32', c: 'cgroup.cgroup_fd' },
  cgroup_id: { offset: 8, type: 'u64', c: 'cgroup.cgroup_id' },
  task_tid: { offset: 0, type: 'u32', c: 'task.tid' },
  task_pid: { offset: 4, type: 'u32', c: 'task.pid' },
  task_pid_fd: { offset: 8, type: 'u32', c: 'task.pid_fd' },
}, 16);

export const IterCreateAttr = struct('iter_create', A, {
  link_fd: { offset: 0, type: 'u32', c: 'iter_create.link_fd' },
  flags: { offset: 4, type: 'u32', c: 'iter_create.flags' },
});

export const ProgBindMapAttr = struct('prog_bind_map', A, {
  prog_fd: { offset: 0, type: 'u32', c: 'prog_bind_map.prog_fd' },
  map_fd: { offset: 4, type: 'u32', c: 'prog_bind_map.map_fd' },
  flags: { offset: 8, type: 'u32', c: 'prog_bind_map.flags' },
});

// ---- info structs (BPF_OBJ_GET_INFO_BY_FD) ----------------------------------

export const ProgInfo = struct('bpf_prog_info', 'struct bpf_prog_info', {
  type: { offset: 0, type: 'u32' },
  id: { offset: 4, type: 'u32' },
  tag: { offset: 8, type: { bytes: 8 } },
  jited_prog_len: { offset: 16, type: 'u32' },
  xlated_prog_len: { offset: 20, type: 'u32' },
  jited_prog_insns: { offset: 24, type: 'ptr' },
  xlated_prog_insns: { offset: 32, type: 'ptr' },
  load_time: { offset: 40, type: 'u64' },
  created_by_uid: { offset: 48, type: 'u32' },
  nr_map_ids: { offset: 52, type: 'u32' },
  map_ids: { offset: 56, type: 'ptr' },
  name: { offset: 64, type: { bytes: 16 } },
  ifindex: { offset: 80, type: 'u32' },
  netns_dev: { offset: 88, type: 'u64' },
  netns_ino: { offset: 96, type: 'u64' },
  btf_id: { offset: 128, type: 'u32' },
  nr_func_info: { offset: 144, type: 'u32' },
  nr_line_info: { offset: 148, type: 'u32' },
  run_time_ns: { offset: 192, type: 'u64' },
  run_cnt: { offset: 200, type: 'u64' },
  recursion_misses: { offset: 208, type: 'u64' },
  verified_insns: { offset: 216, type: 'u32' },
  attach_btf_obj_id: { offset: 220, type: 'u32' },
  attach_btf_id: { offset: 224, type: 'u32' },
}, 232);

export const MapInfo = struct('bpf_map_info', 'struct bpf_map_info', {
  type: { offset: 0, type: 'u32' },
  id: { offset: 4, type: 'u32' },
  key_size: { offset: 8, type: 'u32' },
  value_size: { offset: 12, type: 'u32' },
  max_entries: { offset: 16, type: 'u32' },
  map_flags: { offset: 20, type: 'u32' },
  name: { offset: 24, type: { bytes: 16 } },
  ifindex: { offset: 40, type: 'u32' },
  btf_vmlinux_value_type_id: { offset: 44, type: 'u32' },
  netns_dev: { offset: 48, type: 'u64' },
  netns_ino: { offset: 56, type: 'u64' },
  btf_id: { offset: 64, type: 'u32' },
  btf_key_type_id: { offset: 68, type: 'u32' },
  btf_value_type_id: { offset: 72, type: 'u32' },
  map_extra: { offset: 80, type: 'u64' },
}, 88);

/** bpf_link_info: head + the per-type union (only the parts we decode). */
export const LinkInfo = struct('bpf_link_info', 'struct bpf_link_info', {
  type: { offset: 0, type: 'u32' },
  id: { offset: 4, type: 'u32' },
  prog_id: { offset: 8, type: 'u32' },
  raw_tp_name: { offset: 16, type: 'ptr', c: 'raw_tracepoint.tp_name' },
  raw_tp_name_len: { offset: 24, type: 'u32', c: 'raw_tracepoint.tp_name_len' },
  tracing_attach_type: { offset: 16, type: 'u32', c: 'tracing.attach_type' },
  tracing_target_obj_id: { offset: 20, type: 'u32', c: 'tracing.target_obj_id' },
  tracing_target_btf_id: { offset: 24, type: 'u32', c: 'tracing.target_btf_id' },
  cgroup_id: { offset: 16, type: 'u64', c: 'cgroup.cgroup_id' },
  cgroup_attach_type: { offset: 24, type: 'u32', c: 'cgroup.attach_type' },
  netns_ino: { offset: 16, type: 'u32', c: 'netns.netns_ino' },
  netns_attach_type: { offset: 20, type: 'u32', c: 'netns.attach_type' },
  xdp_ifindex: { offset: 16, type: 'u32', c: 'xdp.ifindex' },
  tcx_ifindex: { offset: 16, type: 'u32', c: 'tcx.ifindex', ...NEW },
  tcx_attach_type: { offset: 20, type: 'u32', c: 'tcx.attach_type', ...NEW },
  netfilter_pf: { offset: 16, type: 'u32', c: 'netfilter.pf', ...NEW },
  netfilter_hooknum: { offset: 20, type: 'u32', c: 'netfilter.hooknum', ...NEW },
  netfilter_priority: { offset: 24, type: 's32', c: 'netfilter.priority', ...NEW },
  netfilter_flags: { offset: 28, type: 'u32', c: 'netfilter.flags', ...NEW },
  sockmap_map_id: { offset: 16, type: 'u32', c: 'sockmap.map_id', ...NEW },
  sockmap_attach_type: { offset: 20, type: 'u32', c: 'sockmap.attach_type', ...NEW },
}, 96);

/** struct bpf_flow_keys: a flow dissector's output (BPF_PROG_TEST_RUN returns it in data_out). */
export const FlowKeysLayout = struct('bpf_flow_keys', 'struct bpf_flow_keys', {
  nhoff: { offset: 0, type: 'u16' },
  thoff: { offset: 2, type: 'u16' },
  addr_proto: { offset: 4, type: 'u16' },
  is_frag: { offset: 6, type: 'u8' },
  is_first_frag: { offset: 7, type: 'u8' },
  is_encap: { offset: 8, type: 'u8' },
  ip_proto: { offset: 9, type: 'u8' },
  n_proto: { offset: 10, type: 'u16' },
  sport: { offset: 12, type: 'u16' },
  dport: { offset: 14, type: 'u16' },
  ipv4_src: { offset: 16, type: { bytes: 4 } },
  ipv4_dst: { offset: 20, type: { bytes: 4 } },
  ipv6_src: { offset: 16, type: { bytes: 16 } },
  ipv6_dst: { offset: 32, type: { bytes: 16 } },
  flags: { offset: 48, type: 'u32' },
  flow_label: { offset: 52, type: 'u32' },
}, 56);

export const BtfInfo = struct('bpf_btf_info', 'struct bpf_btf_info', {
  btf: { offset: 0, type: 'ptr' },
  btf_size: { offset: 8, type: 'u32' },
  id: { offset: 12, type: 'u32' },
  name: { offset: 16, type: 'ptr' },
  name_len: { offset: 24, type: 'u32' },
  kernel_btf: { offset: 28, type: 'u32' },
}, 32);
