/**
 * Splits a byte stream into lines without ever holding more than one line (bounded) in memory.
 * Works on bytes rather than decoded text so that each line's encoding can be checked on its own:
 * a stray Latin-1 byte makes one row unreadable instead of silently turning into U+FFFD.
 */

export interface Line {
  /** 1-based line number in the file. */
  number: number;
  /** The line's bytes without its terminator (LF or CRLF); empty when `tooLong`. */
  bytes: Buffer;
  /** The line was longer than the limit; its bytes were dropped. */
  tooLong: boolean;
}

const LF = 0x0a;
const CR = 0x0d;

export async function* splitLines(source: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let pending = 0;
  let tooLong = false;
  let number = 0;
  const take = (tail: Buffer): Line => {
    number += 1;
    tooLong ||= pending + tail.length > maxLineBytes;
    let bytes = tooLong ? Buffer.alloc(0) : parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    const line = { number, bytes, tooLong };
    parts = [];
    pending = 0;
    tooLong = false;
    return line;
  };
  for await (const chunk of source) {
    let start = 0;
    for (let newline = chunk.indexOf(LF); newline !== -1; newline = chunk.indexOf(LF, start)) {
      yield take(chunk.subarray(start, newline));
      start = newline + 1;
    }
    if (start < chunk.length && !tooLong) {
      const rest = chunk.subarray(start);
      pending += rest.length;
      if (pending > maxLineBytes) {
        tooLong = true;
        parts = [];
      } else {
        // A copy, so the stream's (possibly pooled) chunk is not kept alive by a slice.
        parts.push(Buffer.from(rest));
      }
    }
  }
  if (pending > 0 || tooLong) yield take(Buffer.alloc(0));
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly; null when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Strips a UTF-8 byte order mark (spreadsheet exports often start with one). */
export function stripBom(bytes: Buffer): Buffer {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
    ? bytes.subarray(3)
    : bytes;
}
