/**
 * Ticks the clocks skip: node-cron never fires a wall time that does not exist, so a daily
 * report at midnight in Santiago would have no run on the first Sunday of September. The
 * scheduler runs such a tick at the jump. Jump instants worked out from the offsets: Santiago
 * Sat 5 Sep 2026 24:00 −04:00 = 04:00Z (to 01:00 −03:00); Lord Howe Island Sun 4 Oct 2026
 * 02:00 +10:30 = Sat 15:30Z (to 02:30 +11:00); St John's Sun 8 Mar 2026 02:00 −03:30 = 05:30Z.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { createHarness } from '../../test/support/harness.js';
import { skipsTickAt, startScheduler, type Scheduler } from './scheduler.js';

const at = (iso: string) => Date.parse(iso);

describe('skipsTickAt', () => {
  it.each([
    ['0 0 * * *', 'America/Santiago', '2026-09-06T04:00:00Z', true],
    ['30 0 0 * * *', 'America/Santiago', '2026-09-06T04:00:00Z', true],
    ['59 0 * * *', 'America/Santiago', '2026-09-06T04:00:00Z', true],
    ['0 0 * * 0', 'America/Santiago', '2026-09-06T04:00:00Z', true],
    ['0 0 * * 1', 'America/Santiago', '2026-09-06T04:00:00Z', false],
    ['0 1 * * *', 'America/Santiago', '2026-09-06T04:00:00Z', false], // 01:00 exists: node-cron runs it
    ['0 0 * * *', 'America/Santiago', '2026-09-07T03:00:00Z', false],
    ['0 0 * * *', 'America/Santiago', '2026-04-05T04:00:00Z', false], // clocks go back: nothing skipped
    ['0 0 * * *', 'America/Santiago', '2026-09-06T04:01:00Z', false],
    ['15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T15:30:00Z', true],
    ['45 2 * * *', 'Australia/Lord_Howe', '2026-10-03T15:30:00Z', false],
    ['30 2 * * *', 'America/St_Johns', '2026-03-08T05:30:00Z', true],
    ['0 7 * * *', 'America/St_Johns', '2026-03-08T05:30:00Z', false],
    ['0 0 * * *', 'Asia/Kolkata', '2026-09-05T18:30:00Z', false],
  ])('%s in %s at %s: %s', (schedule, zone, when, expected) => {
    expect(skipsTickAt(schedule, zone, at(when))).toBe(expected);
  });
});

describe('startScheduler', () => {
  const h = createHarness({ start: '2026-09-05T12:00:00Z' });
  let scheduler: Scheduler | null = null;
  afterEach(async () => {
    await scheduler?.stop();
    vi.useRealTimers();
  });
  afterAll(() => h.close());

  it('runs a daily midnight job in Santiago on the day its midnight is skipped, at the jump, once a day', async () => {
    const runs: string[] = [];
    vi.useFakeTimers({ now: at('2026-09-05T03:59:00Z'), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    scheduler = startScheduler(
      [{ name: 'midnight-report', schedule: '0 0 * * *', timezone: 'America/Santiago', run: async ({ scheduledAt }) => void runs.push(new Date(scheduledAt).toISOString()) }],
      { store: h.services.store, clock: h.clock, logger: createLogger('silent'), owner: 'test' },
    );
    for (let step = 0; step < 3 * 48; step++) await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(runs).toEqual(['2026-09-05T04:00:00.000Z', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z', '2026-09-08T03:00:00.000Z']);
  }, 60_000);
});
