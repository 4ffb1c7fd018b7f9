// Which C helper each `bpf.*` function compiles to. The compiler maps the
// name to the helper id with @lockne/obj helperId().

/** `bpf.<name>` -> kernel helper name. */
export const HELPER_BINDINGS = {
  ktimeGetNs: 'bpf_ktime_get_ns',
  ktimeGetBootNs: 'bpf_ktime_get_boot_ns',
  ktimeGetCoarseNs: 'bpf_ktime_get_coarse_ns',
  jiffies64: 'bpf_jiffies64',
  getCurrentPidTgid: 'bpf_get_current_pid_tgid',
  getCurrentUidGid: 'bpf_get_current_uid_gid',
  getCurrentComm: 'bpf_get_current_comm',
  getCurrentCgroupId: 'bpf_get_current_cgroup_id',
  getCurrentTask: 'bpf_get_current_task',
  getCurrentTaskBtf: 'bpf_get_current_task_btf',
  getSmpProcessorId: 'bpf_get_smp_processor_id',
  getPrandomU32: 'bpf_get_prandom_u32',
  getSocketCookie: 'bpf_get_socket_cookie',
  getSocketUid: 'bpf_get_socket_uid',
  getNetnsCookie: 'bpf_get_netns_cookie',
  redirect: 'bpf_redirect',
  probeReadKernel: 'bpf_probe_read_kernel',
  probeReadUser: 'bpf_probe_read_user',
  probeReadKernelStr: 'bpf_probe_read_kernel_str',
  probeReadUserStr: 'bpf_probe_read_user_str',
  getCurrentAncestorCgroupId: 'bpf_get_current_ancestor_cgroup_id',
  loop: 'bpf_loop',
} as const;
export type BpfHelperFn = keyof typeof HELPER_BINDINGS;

/** Methods on maps/contexts -> kernel helper name, keyed `Class.method`. */
export const METHOD_BINDINGS = {
  'HashMap.lookup': 'bpf_map_lookup_elem', 'HashMap.update': 'bpf_map_update_elem', 'HashMap.delete': 'bpf_map_delete_elem',
  'ArrayMap.lookup': 'bpf_map_lookup_elem', 'ArrayMap.update': 'bpf_map_update_elem',
  'RingBuf.output': 'bpf_ringbuf_output', 'RingBuf.reserve': 'bpf_ringbuf_reserve',
  'RingBuf.submit': 'bpf_ringbuf_submit', 'RingBuf.discard': 'bpf_ringbuf_discard',
  'PerfEventArray.output': 'bpf_perf_event_output', 'ProgramArray.tailCall': 'bpf_tail_call',
  'SkStorage.get': 'bpf_sk_storage_get', 'SkStorage.delete': 'bpf_sk_storage_delete',
  'TaskStorage.get': 'bpf_task_storage_get', 'TaskStorage.delete': 'bpf_task_storage_delete',
  'SpinLock.lock': 'bpf_spin_lock', 'SpinLock.unlock': 'bpf_spin_unlock',
  'XdpContext.adjustHead': 'bpf_xdp_adjust_head', 'XdpContext.adjustTail': 'bpf_xdp_adjust_tail',
  'XdpContext.adjustMeta': 'bpf_xdp_adjust_meta', 'SkBuffContext.loadBytes': 'bpf_skb_load_bytes',
  'TcContext.storeBytes': 'bpf_skb_store_bytes', 'TcContext.pullData': 'bpf_skb_pull_data',
  'TcContext.redirect': 'bpf_redirect',
  'TracepointContext.dataLocString': 'bpf_probe_read_kernel_str',
  'SysctlContext.getName': 'bpf_sysctl_get_name', 'SysctlContext.getCurrentValue': 'bpf_sysctl_get_current_value',
  'SysctlContext.getNewValue': 'bpf_sysctl_get_new_value', 'TaskIterContext.seqWrite': 'bpf_seq_write',
} as const;
