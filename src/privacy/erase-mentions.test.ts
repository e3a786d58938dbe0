import { describe, expect, it } from 'vitest';
import { eraseAddress } from './erase-mentions.js';

describe('eraseAddress', () => {
  it('replaces the whole address, in any case, wherever a string holds it', () => {
    expect(eraseAddress({ cc: ['Ann@Example.com', 'bob@example.org'], body: 'Asked ann@example.com.' }, 'ann@example.com')).toEqual({
      cc: ['[erased]', 'bob@example.org'],
      body: 'Asked [erased].',
    });
  });

  it('leaves other addresses that contain it alone, and answers null when nothing named it', () => {
    expect(eraseAddress({ cc: ['joann@example.com', 'ann@example.com.au', 'x.ann@example.com'] }, 'ann@example.com')).toBeNull();
    expect(eraseAddress({ to: ['<ann@example.com>'], n: 3 }, 'ann@example.com')).toEqual({ to: ['<[erased]>'], n: 3 });
  });
});
