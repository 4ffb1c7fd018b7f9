// The error a codec throws: an ArgumentError that names where inside the value
// the problem is (`field hdr.ports[1]: u16: 70000 is not an integer...`).
import { ArgumentError } from '../errors.js';

export class CodecError extends ArgumentError {
  override name = 'CodecError';
  /** Where in the value: `a.b[2]`, or '' for the top level. */
  readonly path: string;
  /** What is wrong, without the path. */
  readonly reason: string;

  constructor(reason: string, path = '') {
    super(path ? `field ${path}: ${reason}` : reason);
    this.path = path;
    this.reason = reason;
  }

  /** Re-throw `e` (any error from a nested codec) one level further out. */
  static wrap(e: unknown, segment: string): CodecError {
    if (e instanceof CodecError) {
      const joined = !e.path ? segment : e.path.startsWith('[') ? `${segment}${e.path}` : `${segment}.${e.path}`;
      return new CodecError(e.reason, joined);
    }
    if (e instanceof ArgumentError) return new CodecError(e.message, segment);
    throw e;
  }
}
