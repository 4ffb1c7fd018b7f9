// @lockne/bpf: the eBPF runtime for Node.js.
export * from './errors.js';
export { FdHandle } from './fd.js';
export * from './sys/consts.js';
export { errnoName, Errno } from './sys/errno.js';
export { native } from './sys/native.js';
export * from './maps/codec.js';
export { BpfMap, mapInfoByFd, type MapCreateOptions, type MapInfoResult } from './maps/map.js';
export { Program, programInfoByFd, type ProgramLoadOptions, type TestRunOptions, type TestRunResult, type ProgramInfo } from './programs/program.js';
export { Link, linkInfoByFd, type Attachment, type LinkInfoResult } from './links/link.js';
