// Userspace side of kernel logging (`log.info\`...\`` in *.bpf.ts, front/log.ts):
// reads the records from the object's `lockne_log` ring buffer and formats
// them with the template table the compiler put in `.rodata.lockne_log`.
// A record is LOG_RECORD: u8 level, u8 argc, u16 0, u32 template id, argc u64.
//
// @example
// const obj = BpfObject.load(compile('ping.bpf.ts').object!);
// const logs = logReader(obj, (line) => console.log(line));   // "INFO ping from 10.0.0.2 seq 1"
// // ... logs.close(); obj.close();
import { ArgumentError, RingBufferReader, type BpfObject, type RingBufferOptions } from '@lockne/bpf';
import { LOG_RECORD, LogLevel } from '@lockne/kernel';
import { LOG_NAMES, type LogArgKind, type LogTemplate } from './log-format.js';

export type { LogTemplate, LogArgKind } from './log-format.js';

/** One decoded record. */
export interface LogLine {
  readonly level: LogLevel;
  /** 'ERROR' | 'WARN' | 'INFO' | 'DEBUG'. */
  readonly levelName: string;
  /** The formatted text without the level: `ping from 10.0.0.2 seq 1`. */
  readonly text: string;
  /** Argument values as printed kinds read them (integers as number or bigint, bool, be32 as a dotted quad). */
  readonly args: ReadonlyArray<number | bigint | boolean | string>;
  readonly template: LogTemplate;
}

/** The template table of a loaded object that logs (ArgumentError when it has none). */
export function logTemplates(obj: BpfObject): LogTemplate[] {
  let bytes: Uint8Array;
  try {
    bytes = obj.globals.section(LOG_NAMES.section).bytes();
  } catch (e) {
    throw new ArgumentError(`the object has no '${LOG_NAMES.section}' section: none of its programs uses log.* (${(e as Error).message})`);
  }
  const end = bytes.indexOf(0);
  const json = new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end));
  const table = JSON.parse(json) as { version: number; templates: LogTemplate[] };
  if (table.version !== 1) throw new ArgumentError(`'${LOG_NAMES.section}': template table version ${table.version} is not 1`);
  return table.templates;
}

function argValue(kind: LogArgKind, raw: bigint): number | bigint | boolean | string {
  switch (kind) {
    case 'bool': return raw !== 0n;
    case 'u64': return raw;
    case 'i64': return BigInt.asIntN(64, raw);
    case 'be16': return Number(((raw & 0xffn) << 8n) | ((raw >> 8n) & 0xffn));
    case 'be32': return [0n, 8n, 16n, 24n].map((s) => (raw >> s) & 0xffn).join('.');
    default: return kind.startsWith('i') ? Number(BigInt.asIntN(64, raw)) : Number(raw);
  }
}

/** Decode one record (`bytes` as the ring buffer delivers it). */
export function decodeLogRecord(templates: readonly LogTemplate[], bytes: Uint8Array): LogLine {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < LOG_RECORD.headerSize) throw new ArgumentError(`log record of ${bytes.byteLength} bytes is shorter than its ${LOG_RECORD.headerSize}-byte header`);
  const level = v.getUint8(0) as LogLevel;
  const argc = v.getUint8(1);
  const id = v.getUint32(4, true);
  const template = templates[id];
  if (!template) throw new ArgumentError(`log record names template ${id}; the object has ${templates.length}`);
  if (argc !== template.args.length || bytes.byteLength < LOG_RECORD.headerSize + argc * LOG_RECORD.argSize) {
    throw new ArgumentError(`log record for template ${id} (${template.file}:${template.line}) has ${argc} arguments in ${bytes.byteLength} bytes; the template has ${template.args.length}`);
  }
  const args = template.args.map((k, i) => argValue(k, v.getBigUint64(LOG_RECORD.headerSize + i * LOG_RECORD.argSize, true)));
  let text = template.text[0] ?? '';
  args.forEach((a, i) => { text += String(a) + (template.text[i + 1] ?? ''); });
  return { level, levelName: LogLevel[level] ?? `LEVEL${level}`, text, args, template };
}

/**
 * Read an object's kernel log: `onLine('INFO ping from 10.0.0.2 seq 1', record)` per record,
 * in callback mode by default (pass `{ watch: false }` and call `consume()`/`poll()` yourself).
 * Close the reader before the object.
 */
export function logReader(obj: BpfObject, onLine: (line: string, rec: LogLine) => void, opts: Pick<RingBufferOptions, 'watch' | 'onError'> = {}): RingBufferReader {
  const templates = logTemplates(obj);
  return new RingBufferReader(obj.map(LOG_NAMES.ring), {
    ...opts,
    onSample: (bytes) => {
      const rec = decodeLogRecord(templates, bytes);
      onLine(`${rec.levelName} ${rec.text}`, rec);
    },
  });
}
