import { describe, expect, it } from 'vitest';
import { addressRun } from './address-run.js';

const RUNS = /[^\s<>"]+/g;
const DOTTED_RUNS = /[^\s<>"'[\]():;,]+/g;
/** What the regexes it replaces found (fine on short text). */
const PLAIN = /([^\s<>"]+@[^\s<>"]+)/;
const DOTTED = /([^\s<>"'[\]():;,]+@[^\s<>"'[\]():;,]+\.[^\s<>"'[\]():;,]+)/;

describe('addressRun', () => {
  it('finds what the backtracking regexes found, on every short text of the characters that matter', () => {
    const alphabet = ['a', '@', '.', ' ', '<', ':'];
    const texts = [''];
    for (let length = 1; length <= 6; length++) {
      for (const text of texts.filter((t) => t.length === length - 1)) for (const ch of alphabet) texts.push(text + ch);
    }
    for (const text of texts) {
      expect(addressRun(text, RUNS), JSON.stringify(text)).toBe(PLAIN.exec(text)?.[1] ?? null);
      expect(addressRun(text, DOTTED_RUNS, true), JSON.stringify(text)).toBe(DOTTED.exec(text)?.[1] ?? null);
    }
    expect(addressRun('From: Chloe Martin <chloe@example.com>', DOTTED_RUNS, true)).toBe('chloe@example.com');
  });

  it('takes linear time on a long run of @s or dots (the regexes took minutes)', () => {
    const started = performance.now();
    for (const text of ['@'.repeat(200_000), 'a.'.repeat(100_000), `a@${'.'.repeat(200_000)}`, `${'a'.repeat(200_000)}@`]) {
      addressRun(text, RUNS);
      addressRun(text, DOTTED_RUNS, true);
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
