// The `bpf` namespace: `import { bpf } from '@lockne/kernel'; bpf.ktimeGetNs()`.
export * from './time.js';
export * from './task.js';
export * from './random.js';
export * from './net.js';
export * from './memory.js';
export * from './loop.js';
