/**
 * `watched`, the check behind the rule of async units and reads: a call still pending once the
 * microtask queue has drained waited for the event loop (UNIT_AWAITED_IO); one that settled
 * within the turn's microtasks did not, wherever it began; and a long chain of calls awaited one
 * after another keeps nothing per call until it ends.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { UnitAwaitedIoError, watched } from './unit-rule.js';

/** Settles after `n` microtasks, never leaving the turn. */
async function microtasks(n: number): Promise<number> {
  for (let i = 0; i < n; i++) await Promise.resolve();
  return n;
}

describe('watched', () => {
  it('passes on what settles within the microtasks, fails what waits for the event loop, and tells onYield at once', async () => {
    const told: string[] = [];
    const quick = watched(() => microtasks(5), 'a quick one', () => told.push('quick'));
    const waiting = watched(() => nextTurn().then(() => 'late'), 'a read', () => told.push('waiting'));
    await expect(quick).resolves.toBe(5);
    await expect(waiting).rejects.toBeInstanceOf(UnitAwaitedIoError);
    await expect(waiting).rejects.toThrow(/a read awaited something other than the database/);
    expect(told).toEqual(['waiting']);
    await expect(watched(() => Promise.reject(new Error('its own error')))).rejects.toThrow('its own error');
    await expect(
      watched(() => {
        throw new Error('thrown at once');
      }),
    ).rejects.toThrow('thrown at once');
  });

  it('judges a call begun inside a tick callback by its own microtasks, not by a check already queued for others', async () => {
    // The check for `first` is queued from a microtask; `second` begins in a tick queued before
    // that check, so the check runs right after it, before any microtask of `second` could run.
    // Begun in a microtask of a fresh turn: no check of an earlier call still queued (the test
    // before this one may leave one), and the tick below runs after the microtask that queues it.
    await nextTurn();
    let second: Promise<number> | undefined;
    const first = watched(() => nextTurn().then(() => 1));
    process.nextTick(() => {
      second = watched(() => microtasks(3));
    });
    await expect(first).rejects.toBeInstanceOf(UnitAwaitedIoError);
    await expect(second).resolves.toBe(3);
  });

  it('keeps nothing per call through a long chain that never lets the microtask queue drain', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const chain = async (n: number) => {
      for (let i = 0; i < n; i++) await watched(() => microtasks(1));
    };
    await chain(1_000); // warm
    gc();
    const before = process.memoryUsage().heapUsed;
    await chain(40_000);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // A tick per call kept ~870 bytes of each until the chain ended: ~33 MiB here.
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});
