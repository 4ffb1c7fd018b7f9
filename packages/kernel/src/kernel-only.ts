// Kernel-only functions exist for tsc and for the compiler. In Node they must fail
// loudly, never return a fake value.

/** Thrown when a kernel-only declaration (helper, ctx access, map op) runs in Node. */
export class KernelOnlyError extends Error {
  constructor(readonly what: string) {
    super(`${what} only runs in the kernel: compile this *.bpf.ts file with @lockne/compiler`);
    this.name = 'KernelOnlyError';
  }
}

/** Body for every kernel-only function: `return kernelOnly('bpf.ktimeGetNs')`. */
export function kernelOnly(what: string): never {
  throw new KernelOnlyError(what);
}
