// Running the C side: synchronously for one measurement, or as a child whose
// JSON result line arrives later. A failing binary throws with its stderr.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

/** Run `bin args...` to completion and parse the JSON object on its last stdout line. */
export function runJson(bin, args) {
  const r = spawnSync(bin, args.map(String), { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.error) throw new Error(`bench: ${path.basename(bin)}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`bench: ${path.basename(bin)} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  }
  return lastJson(r.stdout, bin);
}

export function lastJson(stdout, bin) {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`bench: ${path.basename(bin)} printed no JSON result: ${JSON.stringify(stdout.slice(-200))}`);
  }
}

/**
 * Start `bin args...` in the background. `lines` yields stdout lines as they
 * come; `done` resolves with {stdout, code} on exit (rejects on a failure).
 */
export function startChild(bin, args) {
  const child = spawn(bin, args.map(String), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const l of listeners.splice(0)) l();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`bench: ${path.basename(bin)}: ${e.message}`)));
    child.on('close', (code, signal) => {
      for (const l of listeners.splice(0)) l();
      if (code === 0) resolve({ stdout, code });
      else reject(new Error(`bench: ${path.basename(bin)} ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim()}`));
    });
  });
  // Callers may await another child first: a failure is reported when they await this one.
  done.catch(() => {});
  /** Resolves once stdout contains `text` (rejects if the child ends first). */
  const waitFor = (text) => new Promise((resolve, reject) => {
    const check = () => {
      if (stdout.includes(text)) return resolve();
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`bench: ${path.basename(bin)} ended before printing '${text}': ${stderr.trim()}`));
      listeners.push(check);
    };
    check();
  });
  return { child, done, waitFor };
}
