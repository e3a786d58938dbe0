import { describe, expect, it } from 'vitest';
import { ndjsonLines, type NdjsonLine } from './ndjson-lines.js';

async function* chunksOf(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? new TextEncoder().encode(p) : p;
}

async function collect(source: AsyncIterable<Uint8Array>, max?: number): Promise<NdjsonLine[]> {
  const out: NdjsonLine[] = [];
  for await (const line of ndjsonLines(source, max)) out.push(line);
  return out;
}

describe('ndjsonLines', () => {
  it('splits lines across chunk boundaries, accepts CRLF and a missing last newline, skips blank lines but counts them', async () => {
    const lines = await collect(chunksOf('{"a":', '1}\r\n\n  \n{"b"', ':2}\n{"c":3}'));
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 4, text: '{"b":2}' },
      { line: 5, text: '{"c":3}' },
    ]);
  });

  it('decodes a multi-byte character split between two chunks', async () => {
    const bytes = new TextEncoder().encode('{"name":"Zoë 😀"}\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside "ë"
    const lines = await collect(chunksOf(bytes.subarray(0, cut), bytes.subarray(cut, cut + 12), bytes.subarray(cut + 12)));
    expect(lines).toEqual([{ line: 1, text: '{"name":"Zoë 😀"}' }]);
  });

  it('reports a line over the limit and goes on with the next one', async () => {
    const lines = await collect(chunksOf('{"ok":1}\n', 'x'.repeat(30), 'y'.repeat(30), '\n{"ok":2}\n', 'z'.repeat(70)), 50);
    expect(lines).toEqual([
      { line: 1, text: '{"ok":1}' },
      { line: 2, text: null, tooLong: true },
      { line: 3, text: '{"ok":2}' },
      { line: 4, text: null, tooLong: true },
    ]);
  });
});
