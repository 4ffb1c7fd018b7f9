// Loading Lockne's kernel object and pinning it. The object is compiled from
// src/bpf/lockne.bpf.ts by our own compiler at build time
// (scripts/build-bpf.mjs → dist/bpf/lockne.bpf.o); nothing is compiled at run time.
import fs from 'node:fs';
import { BpfObject, attachIter, pin, type Attachment, type Link } from '@lockne/bpf';
import { appFile } from '../paths.js';
import { CGROUP_PROGRAMS, ITER_PROGRAMS, MAP_NAMES, TRACEPOINT_PROGRAMS, linkPin, mapPin } from './layout.js';

/** The package's dist/bpf/lockne.bpf.o. */
export function objectPath(): string {
  return appFile('dist/bpf/lockne.bpf.o');
}

export interface LoadSettings {
  markBase: number;
  /** Lockne's marks are those with (mark & markMask) === markBase. */
  markMask: number;
}

/** Load the object (maps created, programs verified); the caller pins and closes it. */
export function loadObject(s: LoadSettings): BpfObject {
  const file = objectPath();
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: build Lockne first (npm run build)`);
  return BpfObject.load(file, { name: 'lockne', rodata: { markBase: s.markBase, markMask: s.markMask } });
}

/** Pin every map as <pinDir>/map_<name>. */
export function pinMaps(obj: BpfObject, pinDir: string): void {
  for (const name of MAP_NAMES) pin(obj.map(name), mapPin(pinDir, name));
}

function linkOf(a: Attachment): Link {
  const l = (a as { link?: Link }).link ?? (a as Link);
  if (typeof (l as Link).fd !== 'number') throw new Error('attachment has no bpf_link to pin');
  return l as Link;
}

/**
 * Attach every program (cgroup hooks at `scope`, tracepoints globally) and pin
 * each link as <pinDir>/link_<program>. The pins keep them attached after this
 * process exits; removing a pin detaches. Attachments are closed before
 * returning (the pins hold them).
 */
export function attachAndPin(obj: BpfObject, scope: string, pinDir: string): void {
  const attachments: Attachment[] = [];
  try {
    for (const [name, hook] of CGROUP_PROGRAMS) {
      const a = obj.program(name).attach({ cgroup: scope });
      attachments.push(a);
      void hook; // the section name (cgroup/<hook>) says the hook; the table documents it
      pin(linkOf(a), linkPin(pinDir, name));
    }
    for (const name of TRACEPOINT_PROGRAMS) {
      const a = obj.program(name).attach();
      attachments.push(a);
      pin(linkOf(a), linkPin(pinDir, name));
    }
    for (const [name, map] of ITER_PROGRAMS) {
      const a = attachIter(obj.program(name), { map: obj.map(map) });
      attachments.push(a);
      pin(a, linkPin(pinDir, name));
    }
  } finally {
    for (const a of attachments) a.close();
  }
}
