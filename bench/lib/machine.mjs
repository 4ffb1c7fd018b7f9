// What the figures were measured on: kernel, CPU, Node, libbpf, compiler.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

function cpuModel() {
  const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return m ? m[1].trim() : os.cpus()[0]?.model ?? 'unknown';
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : 'unknown';
}

/** versionBin: bench/build/version (prints libbpf_version_string()). */
export function machineInfo(versionBin) {
  return {
    kernel: os.release(),
    cpuModel: cpuModel(),
    cpus: os.cpus().length,
    node: process.version,
    v8: process.versions.v8,
    libbpf: firstLine(versionBin, []),
    gcc: firstLine('gcc', ['-dumpfullversion']),
    cflags: '-O2 -Wall -Wextra -lbpf',
  };
}

/** 1-minute load average: other work on the machine shows up here. */
export function load1() {
  return Math.round(os.loadavg()[0] * 100) / 100;
}
