/**
 * Splits a byte stream into NDJSON lines without holding more than one line in memory:
 * a line longer than `maxLineBytes` is reported (`tooLong`) and skipped up to its newline,
 * so a 100k-line import runs in bounded memory. `\r\n` endings are accepted; blank lines
 * are skipped but still counted, so line numbers match the file.
 */

export type NdjsonLine = { line: number; text: string; tooLong?: undefined } | { line: number; text: null; tooLong: true };

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

export async function* ndjsonLines(chunks: AsyncIterable<Uint8Array>, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<NdjsonLine> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let parts: Uint8Array[] = [];
  let size = 0;
  let tooLong = false;
  let line = 0;

  function* finish(): Generator<NdjsonLine> {
    line++;
    if (tooLong) {
      yield { line, text: null, tooLong: true };
    } else {
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      const text = decoder.decode(bytes).replace(/\r$/, '');
      if (text.trim() !== '') yield { line, text };
    }
    parts = [];
    size = 0;
    tooLong = false;
  }

  for await (const chunk of chunks) {
    let start = 0;
    while (start <= chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      const piece = chunk.subarray(start, end < 0 ? chunk.length : end);
      if (!tooLong) {
        if (size + piece.length > maxLineBytes) {
          tooLong = true;
          parts = [];
          size = 0;
        } else if (piece.length > 0) {
          // Copy: the stream may reuse its buffer for the next chunk.
          parts.push(end < 0 ? piece.slice() : piece);
          size += piece.length;
        }
      }
      if (end < 0) break;
      yield* finish();
      start = end + 1;
    }
  }
  if (size > 0 || tooLong) yield* finish();
}
