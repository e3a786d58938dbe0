/**
 * The receiver's side of webhook signing as docs/integrations.md documents it: the `js` block of
 * its "Signing" section, run as a function, so the tests check deliveries with the very code a
 * receiver is told to copy.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { vi } from 'vitest';

export type Verify = (secret: string, headers: Record<string, unknown>, rawBody: string) => boolean;

/** The documented `verify` (its import line is the caller's: node:crypto's functions are passed in). */
export function documentedVerify(): Verify {
  const doc = fs.readFileSync(new URL('../../docs/integrations.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### Signing'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('docs/integrations.md: no js block under "### Signing"');
  if (!code.includes("from 'node:crypto'")) throw new Error('docs/integrations.md: the signing recipe no longer imports node:crypto');
  const body = code.replace(/^import .*$/m, '');
  return new Function('createHmac', 'timingSafeEqual', 'Buffer', `${body}\nreturn verify;`)(createHmac, timingSafeEqual, Buffer) as Verify;
}

/** Runs `fn` (a receiver's check) with `Date.now()` at `now`, the test clock's time: the recipe refuses a timestamp 5 minutes off. */
export function atTime<T>(now: number, fn: () => T): T {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(now);
  try {
    return fn();
  } finally {
    vi.useRealTimers();
  }
}
