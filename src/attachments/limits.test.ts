import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { assertWithinLimits, partitionWithinLimits, type IncomingFile } from './limits.js';
import { defaultAttachmentSettings, formatBytes } from './settings.js';

const settings = defaultAttachmentSettings('/unused', { maxBytes: 100, maxCount: 3, maxTotalBytes: 250 });
const file = (name: string, size: number): IncomingFile => ({ name, mediaType: 'text/plain', bytes: new Uint8Array(size) });

function refusal(files: IncomingFile[]): DomainError {
  try {
    assertWithinLimits(settings, files);
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('not refused');
}

describe('upload limits', () => {
  it('accept files within every limit', () => {
    expect(() => assertWithinLimits(settings, [file('a', 100), file('b', 100), file('c', 50)])).not.toThrow();
    expect(() => assertWithinLimits(settings, [])).not.toThrow();
  });

  it('refuse with a clear code and message: too many, one too large, too large together', () => {
    expect(refusal([file('a', 1), file('b', 1), file('c', 1), file('d', 1)])).toMatchObject({ code: 'TOO_MANY_ATTACHMENTS', message: 'At most 3 files per message; 4 were attached.' });
    expect(refusal([file('big.bin', 101)])).toMatchObject({ code: 'ATTACHMENT_TOO_LARGE', message: '“big.bin” is 101 bytes; a file may be at most 100 bytes.' });
    expect(refusal([file('a', 100), file('b', 100), file('c', 51)])).toMatchObject({ code: 'ATTACHMENT_TOO_LARGE', message: 'The files are 251 bytes together; at most 250 bytes per message.' });
  });

  it('inbound mail keeps what fits, in order, and lists the rest with the reason', () => {
    const { keep, skipped } = partitionWithinLimits(settings, [file('a', 100), file('huge', 101), file('b', 100), file('c', 60), file('d', 10), file('e', 10)]);
    expect(keep.map((f) => f.name)).toEqual(['a', 'b', 'd']);
    expect(skipped.map((f) => [f.filename, f.reason])).toEqual([
      ['huge', 'too-large'],
      ['c', 'total-too-large'],
      ['e', 'too-many'],
    ]);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1023, '1023 bytes'],
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [20 * 1024 * 1024, '20 MB'],
    [25 * 1024 * 1024, '25 MB'],
  ])('%d → %s', (n, text) => expect(formatBytes(n)).toBe(text));
});
