#!/usr/bin/env node
// lockne-bpf: the command line of @lockne/bpf. Human text by default, --json
// on listings; exit code 0 only on success; errors go to stderr as
// "lockne-bpf: <message>" (the typed error's message: syscall + errno name,
// verifier log tail, or file:line:col for assembly). See program.ts.
import { main } from './program.js';

process.exitCode = await main(process.argv);
