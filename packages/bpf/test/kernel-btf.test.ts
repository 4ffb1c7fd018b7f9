// kernelBtf(): the running kernel's BTF, mapped (or read) once and parsed as
// trusted bytes. It must hold exactly what a validating parse of the file
// holds, be shared by every caller, and leave no fd open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BtfReader } from '@lockne/obj';
import { kernelBtf, kernelTypeId, VMLINUX_BTF } from '../src/btf/kernel-btf.js';
import { checkFdLeaks, skipUnless } from './support/kernel.js';

checkFdLeaks();

const missing = fs.existsSync(VMLINUX_BTF) ? null : `${VMLINUX_BTF} not present (kernel without CONFIG_DEBUG_INFO_BTF)`;

test('kernelBtf() holds the same types as a validating parse of the file, and is cached', (t) => {
  if (skipUnless(t, missing)) return;
  const k = kernelBtf();
  assert.equal(kernelBtf(), k, 'one parsed instance per process');
  const checked = BtfReader.parse(fs.readFileSync(VMLINUX_BTF));
  assert.equal(k.count, checked.count);
  assert.equal(k.stringsLength, checked.stringsLength);
  for (let id = 1; id <= checked.lastId; id += 211) assert.deepEqual(k.type(id), checked.type(id), `type ${id}`);
  assert.deepEqual(k.type(checked.lastId), checked.type(checked.lastId));
  const task = k.find('task_struct', 'STRUCT');
  assert.ok(task && task.members.some((m) => m.name === 'pid'), 'struct task_struct with a pid member');
  assert.equal(kernelTypeId('task_struct', 'STRUCT'), task.id);
  assert.equal(kernelTypeId('task_struct', 'STRUCT'), checked.findId('task_struct', 'STRUCT'));
});
