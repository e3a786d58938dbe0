/**
 * The SLA job: sweep, record the queue wait alerts that fell due, then perform the work
 * they queued (escalation rules, workflow reactions, notifications) by draining the outbox
 * until nothing is due. Used by the cron job,
 * the catch-up at start-up, `POST /api/v1/sla/sweep` and `npm run sla:sweep`.
 */
import { alertLongWaits, type WaitAlertResult } from '../assignment/wait-alerts.js';
import type { DrainResult } from '../outbox/drain.js';
import { releaseDeadClaims, type ReleasedClaims } from '../outbox/dead-claims.js';
import type { Services } from '../services.js';
import { sweepSla, type SweepOptions, type SweepResult } from './sweep.js';

export interface SlaSweepRun {
  sweep: SweepResult;
  /** Cases whose wait in their queue passed the alert threshold. */
  waiting: WaitAlertResult;
  outbox: DrainResult;
}

/**
 * Drains the outbox until a round performs nothing (bounded, so a flood cannot spin forever).
 * Posts to receivers outside (webhooks, Slack/Teams) are started, not waited for: a dead
 * receiver must not hold up the next sweep (src/outbox/lanes.ts).
 */
export async function drainOutboxFully(services: Services, maxRounds = 1000): Promise<DrainResult> {
  const total: DrainResult = { done: 0, failed: 0 };
  for (let round = 0; round < maxRounds; round++) {
    if (services.outbox.signal.aborted) break;
    const r = await services.outbox.drain(undefined, { waitForLanes: false });
    total.done += r.done;
    total.failed += r.failed;
    if (r.done + r.failed === 0) break;
  }
  return total;
}

export async function runSlaSweep(services: Services, options: SweepOptions = {}): Promise<SlaSweepRun> {
  const started = performance.now();
  const sweep = await sweepSla(services, { signal: services.outbox.signal, ...options });
  services.metrics.slaSweep.observe({ phase: 'sweep' }, (performance.now() - started) / 1000);
  const waiting = await alertLongWaits(services, options.now !== undefined ? { now: options.now } : {});
  const outbox = await drainOutboxFully(services);
  services.metrics.slaSweep.observe({ phase: 'total' }, (performance.now() - started) / 1000);
  return { sweep, waiting, outbox };
}

export interface CatchUp {
  released: ReleasedClaims;
  sweep: SweepResult;
  outbox: DrainResult;
}

/**
 * Start-up catch-up, run in the background once the server listens: take back the claims of
 * a process that died mid-drain, record the SLA warnings and breaches that fell due while
 * down, then perform the work they (and anything left over) queued. Every step works in
 * small batches with the event loop free between them, so requests, `/health` and SIGTERM
 * are answered throughout; shutdown (`outbox.stop()`) ends it between two batches.
 */
export async function catchUp(services: Services): Promise<CatchUp> {
  const released = await releaseDeadClaims(services.store, services.clock.now());
  if (released.items > 0) services.logger.info('took back the claims of a stopped process', { ...released });
  const sweep = await sweepSla(services, { signal: services.outbox.signal });
  const outbox = await drainOutboxFully(services);
  return { released, sweep, outbox };
}
