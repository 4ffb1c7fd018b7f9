// Extra strings for an encoded .BTF blob: .BTF.ext names sections, source
// files and line texts by offsets into the .BTF string section, strings no
// type carries. appendBtfStrings adds the missing ones at the end of the
// string section (which BtfWriter places last) and reports every offset.
//
// @example
// const { blob, offsets } = appendBtfStrings(btf.encode(), ['xdp', 'counter.ts']);
// offsets.get('xdp'); // offset into the string section

/** Append `strings` (those not already present) to the string section of `blob`. */
export function appendBtfStrings(blob: Uint8Array, strings: Iterable<string>): { blob: Uint8Array; offsets: Map<string, number> } {
  if (blob.byteLength < 24) throw new RangeError(`BTF blob of ${blob.byteLength} bytes has no header`);
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const hdrLen = v.getUint32(4, true);
  const strOff = v.getUint32(16, true);
  const strLen = v.getUint32(20, true);
  const start = hdrLen + strOff;
  if (start + strLen !== blob.byteLength) throw new RangeError('BTF string section is not the last part of the blob');
  const offsets = new Map<string, number>();
  const dec = new TextDecoder();
  // Index what is there: every NUL-terminated string by its start.
  for (let o = 0; o < strLen;) {
    const end = blob.indexOf(0, start + o);
    const stop = end < 0 ? blob.byteLength : end;
    const s = dec.decode(blob.subarray(start + o, stop));
    if (!offsets.has(s)) offsets.set(s, o);
    o = stop - start + 1;
  }
  const enc = new TextEncoder();
  const extra: Uint8Array[] = [];
  let size = strLen;
  for (const s of strings) {
    if (offsets.has(s)) continue;
    if (s.includes('\0')) throw new RangeError(`BTF string ${JSON.stringify(s)} contains NUL`);
    const b = enc.encode(s);
    offsets.set(s, size);
    extra.push(b, new Uint8Array(1));
    size += b.byteLength + 1;
  }
  const out = new Uint8Array(start + size);
  out.set(blob);
  let at = blob.byteLength;
  for (const b of extra) { out.set(b, at); at += b.byteLength; }
  new DataView(out.buffer).setUint32(20, size, true);
  return { blob: out, offsets };
}
