// `lockne-bpf test-run obj.o --prog NAME ...`: load an eBPF object (every map,
// only the program NAME) with BpfObject.load and run NAME with
// BPF_PROG_TEST_RUN. Prints exactly what the assembly form prints (same JSON
// object with --json), so tools can use either.
//
// @example
// lockne-bpf test-run xdp_drop.bpf.o --prog xdp_drop --data-hex "$(printf '00%.0s' {1..64})" --repeat 1000 --json
import { BpfObject } from '../../object/object.js';
import { ArgumentError } from '../../errors.js';
import { testRunInput, testRunLoaded, type TestRunCliOptions, type TestRunJson } from './test-run.js';

export function runObjectTestRun(file: string, opts: TestRunCliOptions): TestRunJson {
  if (opts.prog === undefined) throw new ArgumentError(`--prog <name> is required with an object: which program of '${file}' to run`);
  const asmOnly = opts.asm !== undefined ? '--asm' : opts.asmFile !== undefined ? '--asm-file' : opts.type !== undefined ? '--type'
    : opts.attachType !== undefined ? '--attach-type' : undefined;
  if (asmOnly) throw new ArgumentError(`${asmOnly} is for assembly programs; an object's program takes its type from its section`);
  const input = testRunInput(opts);
  const obj = BpfObject.load(file, { programs: [opts.prog] });
  try {
    return testRunLoaded(obj.program(opts.prog), input);
  } finally {
    obj.close();
  }
}
