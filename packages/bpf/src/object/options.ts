// Options of BpfObject.load and the state the load steps share.
import type { BtfReader, ObjectSpec } from '@lockne/obj';
import type { BpfMap } from '../maps/map.js';
import type { Btf, BtfLoadError } from '../btf/btf.js';
import type { BtfCodecs } from './btf-codec.js';
import type { GlobalVars } from './vars.js';

/** A value for a kconfig extern: 'y' | 'n' | 'm', a boolean, a number, or a string for char arrays. */
export type KconfigValue = boolean | number | bigint | string;

export interface ObjectLoadOptions {
  /** Directory for maps with `pinning: byName` (LIBBPF_PIN_BY_NAME). Default /sys/fs/bpf; must be on bpffs. */
  pinDir?: string;
  /**
   * Set `.rodata` constants before load (they are frozen afterwards): values by
   * variable name, encoded with the variable's BTF type, or a function that
   * edits the sections through a view.
   * @example { rodata: { target_pid: 1234, verbose: true } }
   */
  rodata?: Record<string, unknown> | ((vars: GlobalVars) => void);
  /** kconfig extern values overriding /proc/config.gz (e.g. { CONFIG_HZ: 1000 }). */
  kconfig?: Record<string, KconfigValue>;
  /** CO-RE target BTF (raw BTF bytes or a file path) instead of /sys/kernel/btf/vmlinux. */
  targetBtf?: Uint8Array | string;
  /** Verifier log level for every program (1 or 2 keeps the log in `verifierLog`). */
  logLevel?: number;
  /** Load only these programs (by function name); maps are all created. */
  programs?: string[];
  /** Use these maps instead of creating the object's maps of those names. The caller keeps ownership. */
  mapReplacements?: Record<string, BpfMap<unknown, unknown>>;
  /**
   * Fail with the BtfLoadError when the kernel refuses the object's BTF. By
   * default the object loads without BTF, as libbpf does, and BpfObject.btfError
   * keeps the error.
   */
  requireBtf?: boolean;
  /** Object name for kernel names of global data maps ("x" gives "x.rodata"); default from the file name. */
  name?: string;
}

/** What the steps of one load share. */
export interface LoadContext {
  spec: ObjectSpec;
  opts: ObjectLoadOptions;
  /** Prefix of global data map names. */
  objName: string;
  /** The object's BTF as clang wrote it (type ids and strings match the spec). */
  btfReader: BtfReader | undefined;
  /** The BTF loaded into the kernel (after fix-up). */
  btf: Btf | undefined;
  /** Why the kernel refused the object's BTF, when it did. */
  btfError: BtfLoadError | undefined;
  codecs: BtfCodecs | undefined;
  /** Why something was skipped or fell back (no BTF, map created without BTF...). */
  notes: string[];
}
