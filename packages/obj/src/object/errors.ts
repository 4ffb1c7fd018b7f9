// The one error the object parser throws for malformed or unsupported input
// (a malformed .BTF blob surfaces as BtfParseError from the BTF reader).

/**
 * An eBPF ELF object could not be parsed. `section` is the ELF section the
 * problem was found in ('' for the ELF header and section table), `offset` the
 * byte offset inside that section (inside the file when `section` is '').
 *
 * @example
 * try { parseObject(bytes); } catch (e) {
 *   if (e instanceof ObjectParseError) console.error(e.section, e.offset, e.message);
 * }
 */
export class ObjectParseError extends Error {
  override name = 'ObjectParseError';
  readonly section: string;
  readonly offset: number;
  constructor(message: string, section: string, offset: number) {
    super(`${section === '' ? 'ELF' : `section '${section}'`} at offset ${offset}: ${message}`);
    this.section = section;
    this.offset = offset;
  }
}
