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

// Environment that makes every Node process start slower and that a Node
// user's machine does not normally have. This VM sets NODE_EXTRA_CA_CERTS to
// the system bundle: each Node start then reads and parses its ~150
// certificates before running anything (node -e 0: 72-85 ms with it, 33-36
// ms without, measured 2026-11-22); bpftool and the C programs read none.
const NODE_START_EXTRAS = ['NODE_EXTRA_CA_CERTS'];
const removedFromEnv = [];

/**
 * Drops NODE_START_EXTRAS from this process's environment, so every Node
 * process the benchmarks start (and time whole) starts as it would without
 * them. machineInfo() records what was dropped.
 */
export function plainNodeStart() {
  for (const name of NODE_START_EXTRAS) {
    if (process.env[name] === undefined) continue;
    delete process.env[name];
    if (!removedFromEnv.includes(name)) removedFromEnv.push(name);
  }
}

/** versionBin: bench/build/version (prints libbpf_version_string()). */
export function machineInfo(versionBin) {
  return {
    unsetForNodeChildren: [...removedFromEnv],
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
