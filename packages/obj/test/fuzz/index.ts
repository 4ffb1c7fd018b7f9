// The fuzzer's entry points, for fuzz/run.mjs and test/fuzz-parsers.test.ts.
export { buildCorpus, haveClang, VMLINUX, type Corpus, type CorpusOptions, type Input } from './corpus.js';
export { runFuzz, type Failure, type FuzzOptions, type FuzzReport } from './pool.js';
export { DEFAULT_WEIGHTS, activeTargets, makeCase, type FuzzCase, type Weights } from './cases.js';
export { check, checkBtf, roundTrip, PropertyViolation, TARGETS, type CaseInput, type CheckResult, type TargetName } from './targets.js';
export { writeReproducer, readReproducer, failureSignature, type Reproducer } from './repro.js';
