import { describe, expect, it } from 'vitest';
import { fold, mentionHandles } from './mentions.js';

describe('mentionHandles', () => {
  it.each([
    ['@alice can you look?', ['alice']],
    ['Thanks @Alice.Archer, and @bob!', ['alice.archer', 'bob']],
    ['(@zoë) and @Zoe again', ['zoe']],
    ['@dana-diaz: over to you', ['dana-diaz']],
    ['mail bob@example.com or me@x', []],
    ['an @ alone, @@twice, trailing @', ['twice']],
    ['first line\n@chloe_k second', ['chloe_k']],
    ['@प्रिया देखो', ['प्रिया']],
    ['@محمد شكرا', ['محمد']],
  ])('%j → %j', (text, expected) => {
    expect(mentionHandles(text)).toEqual(expected);
  });

  it('folds case and accents', () => {
    expect(fold('ÉLODIE Ångström')).toBe('elodie angstrom');
    expect(fold('प्रिया')).toBe('प्रिया');
  });
});
