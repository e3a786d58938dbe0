import { describe, expect, it } from 'vitest';
import { wellFormed } from './well-formed.js';

describe('wellFormed', () => {
  it('replaces lone surrogates by U+FFFD and keeps pairs', () => {
    expect(wellFormed('a\uD83Db')).toBe('a\uFFFDb');
    expect(wellFormed('a\uDC00b')).toBe('a\uFFFDb');
    expect(wellFormed('\uDC00\uD83D')).toBe('\uFFFD\uFFFD');
    expect(wellFormed('😀 ok \uD83D')).toBe('😀 ok \uFFFD');
    expect(wellFormed('plain')).toBe('plain');
  });
});
