// GPL-only helpers (the kernel's `gpl_only` helper protos) need a GPL-compatible
// license(...) declaration, else the kernel refuses the program at load with
// "cannot call GPL-restricted function from non-GPL compatible program"; the
// compiler says so at the call instead (LK4008).
//
// @example export const LICENSE = license('Dual MIT/GPL'); // then bpf.probeReadKernelStr(...) compiles
import type ts from 'typescript';
import type { Lowerer } from './lower.js';

/** Helpers whose kernel proto has gpl_only = true (of those this compiler can call, and their neighbours). */
const GPL_ONLY: ReadonlySet<string> = new Set([
  'bpf_probe_read', 'bpf_probe_read_str', 'bpf_probe_read_kernel', 'bpf_probe_read_user',
  'bpf_probe_read_kernel_str', 'bpf_probe_read_user_str', 'bpf_perf_event_output', 'bpf_trace_printk',
  'bpf_get_current_task', 'bpf_get_current_task_btf', 'bpf_get_stackid', 'bpf_get_stack', 'bpf_probe_write_user', 'bpf_override_return',
  'bpf_seq_write', 'bpf_seq_printf',
]);

/** Licenses the kernel's license_is_gpl_compatible() accepts. */
export const GPL_COMPATIBLE: ReadonlySet<string> = new Set([
  'GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL',
]);

/** LK4008 when `helper` (a kernel helper name) is GPL-only and the module's license is not GPL-compatible. */
export function checkGplHelper(L: Lowerer, helper: string, node: ts.Node): void {
  const license = L.mod.license ?? 'GPL'; // no declaration: the object says "GPL"
  if (!GPL_ONLY.has(helper) || GPL_COMPATIBLE.has(license)) return;
  L.fail('LK4008', `${helper} is GPL-only, and license('${license}') is not GPL-compatible (declare e.g. license('GPL') or license('Dual MIT/GPL'))`, node);
}
