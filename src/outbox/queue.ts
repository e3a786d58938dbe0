/**
 * The outbox's queue on the storage port: what the drain (drain.ts) asks of the database,
 * written once per dialect — sqlite.ts (today's claim: one writer, group commit, cached
 * statements, conditional claims, handlers that work inside the drain's transaction) and pg.ts
 * (`FOR UPDATE SKIP LOCKED`: any number of workers on any number of instances, none taking a
 * row another holds), chosen in one place by the store's dialect (dialect.ts).
 *
 * The drain keeps what is in the process (items in flight, lanes, slices); a dialect reads and
 * claims rows. Both keep the outbox's rules: a claim is a lease of `LOCK_MS` counting an
 * attempt; one case's items are performed one after the other, in order (the first pending
 * due item of a case is the only one of the case that may be claimed); a lane's items wait for
 * a free slot of their lane and target in this process.
 */
import type { Handle } from '../db/store/index.js';
import type { Services } from '../services.js';
import type { DrainResult } from './drain.js';
import { MAX_ATTEMPTS, retryDelayMs } from './limits.js';
import { givesUp, RetryLaterError } from './retry-later.js';
import { OutboxLanes } from './lanes.js';
import type { OutboxHandler, OutboxItem } from './outbox.js';

/** An item this process is performing now (another drain of the process waits for it). */
export interface Flight {
  done: Promise<void>;
  caseId: number | null;
}

/** What a drain asks before a wave: enough to tell whether a write transaction is worth it. */
export interface Look {
  now: number;
  caseId: number | undefined;
  /** The item types performed in lanes, as a JSON array (`[]`: none kept out of the waves). */
  inLanes: string;
  /** Whether to look for lane items now (`nothingElse`: no other item is due); marks the look when `mark`. */
  lookLanes(nothingElse: boolean, mark?: boolean): boolean;
  /** Targets without a free slot, as a JSON array. */
  busyTargets(): string;
  /** Items in flight in this process that this drain waits for (a settle its case's, a full drain any). */
  flightsToAwait: boolean;
}

/** A wave's claim: the drain's state the dialect reads and updates. */
export interface WaveContext extends Omit<Look, 'flightsToAwait'> {
  services: Services;
  handlers: ReadonlyMap<string, OutboxHandler>;
  owner: string;
  /** Most items this drain still performs. */
  limit: number;
  inFlight: Map<number, Flight>;
  lanes: OutboxLanes | undefined;
  result: DrainResult;
  /** An item claimed to perform after the commit: in flight at once (no other drain of the process misses it). */
  track(item: OutboxItem): void;
  /** A lane item whose slot is reserved (`reserveLane`) and whose claim is made. */
  toLanes: OutboxItem[];
}

export interface ClaimedWave {
  /** Claimed, to perform once the claims are committed. */
  wave: OutboxItem[];
  /** Items another drain of this process is performing: this one waits for them. */
  elsewhere: Promise<void>[];
  /** Items performed (or failed) inside the transaction. */
  here: number;
  /**
   * The claim got nothing although an item is due (a settle: of its case): another transaction
   * holds that row (PostgreSQL's SKIP LOCKED), a claim under way that is not yet in flight here.
   */
  skipped?: boolean;
}

/** Why an attempt failed and what follows: retried later with back-off, or given up after MAX_ATTEMPTS. */
export interface Failure {
  message: string;
  attempts: number;
  giveUp: boolean;
  /** failed_at when given up, else the next available_at. */
  at: number;
}

export interface OutboxQueue {
  /** What identifies the database this process drains (the key of its items in flight). */
  key(q: Handle): object;
  /** Whether a wave may find work: a cheap look, so most kicks write nothing. */
  worthAWave(q: Handle, look: Look): Promise<boolean>;
  /** Reads and claims a wave (inside `store.write`); may perform items right there. */
  claimWave(q: Handle, ctx: WaveContext): Promise<ClaimedWave>;
  /** After the handler: marks the item done unless the handler did. */
  complete(q: Handle, id: number, now: number): Promise<void>;
  /**
   * Records a failed attempt (forgetting a done mark the handler made in a transaction that did
   * not commit). Not on an item done meanwhile: a case's erasure closes its items while their
   * mail is in flight, and the error (a refusal quoting the address) must not come back.
   */
  recordFailure(q: Handle, id: number, failure: Failure): Promise<void>;
  /** Marks an item done (a handler, inside its own write): false when someone already did. */
  markDone(q: Handle, id: number, now: number): Promise<boolean>;
  /** Processes holding a live claim. */
  holders(q: Handle, now: number): Promise<string[]>;
  /** Takes back a holder's claims on pending items; how many. */
  release(q: Handle, holder: string): Promise<number>;
}

/** The failed attempt of `item` (its `attempts` before this claim): counted and logged. */
export function failureOf(ctx: { services: Services; result: DrainResult }, item: OutboxItem, error: unknown): Failure {
  const { services } = ctx;
  const message = error instanceof Error ? error.message : String(error);
  const attempts = item.attempts + 1;
  // A receiver that is down (RetryUntilError) is waited for until its deadline, however many attempts that takes.
  const giveUp = givesUp(error, attempts, services.clock.now(), MAX_ATTEMPTS, retryDelayMs);
  if (giveUp) services.logger.error('outbox item failed for good', { id: item.id, type: item.type, caseId: item.caseId, error: message });
  else services.logger.warn('outbox item failed; will retry', { id: item.id, type: item.type, attempts, error: message });
  ctx.result.failed++;
  // A receiver that named its wait (Retry-After) gets at least that; never less than the back-off.
  const wait = error instanceof RetryLaterError ? Math.max(retryDelayMs(attempts), error.waitMs) : retryDelayMs(attempts);
  return { message, attempts, giveUp, at: giveUp ? services.clock.now() : services.clock.now() + wait };
}

/**
 * Reserves a slot for a due lane item before its claim: false when its lane, target or case
 * has none (the item stays in the database for a later look).
 */
export function reserveLane(ctx: WaveContext, item: OutboxItem): boolean {
  const lanes = ctx.lanes;
  const lane = ctx.handlers.get(item.type)?.lane;
  if (!lanes || !lane || !lanes.open(lane)) return false;
  return lanes.reserve(lane, OutboxLanes.targetOf(ctx.services, lane, item), item);
}
