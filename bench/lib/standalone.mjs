// Running one benchmark script on its own (`node bench/X.mjs [--quick]`), the
// way bench/run.mjs runs them all: build the C side, run, stamp machine and
// load average, write bench/results/<name>.json. A --quick run only prints
// the table (run.mjs refreshes README.md).
import { buildC } from './build-c.mjs';
import { load1, machineInfo, plainNodeStart } from './machine.mjs';
import { renderTable, writeResult } from './report.mjs';

/**
 * @param {(opts: {bins: object, quick: boolean, log: (s: string) => void}) => Promise<object>} run
 * @param {{ printQuick?: boolean }} [opts] printQuick: print the table for a --quick run (default true)
 */
export async function runStandalone(run, { printQuick = true } = {}) {
  const quick = process.argv.includes('--quick');
  plainNodeStart();
  const bins = buildC();
  const loadStart = load1();
  const t0 = Date.now();
  const result = await run({ bins, quick, log: (s) => console.log(`  ${s}`) });
  const full = {
    ...result, date: new Date().toISOString(), quick, seconds: Math.round((Date.now() - t0) / 100) / 10,
    machine: machineInfo(bins.version), loadAverage1m: { start: loadStart, end: load1() },
  };
  if (!quick) console.log(`  -> ${writeResult(full)}`);
  else if (printQuick) console.log(`\n${renderTable([full])}`);
}

/** Run `main()` and report a failure through the exit code. */
export function runMain(main) {
  main.catch((e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
  });
}
