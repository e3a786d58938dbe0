/**
 * Draining the outbox (see outbox.ts for claims and exactly-once). Items are performed in
 * waves of up to 32 (items of one case one after the other, in order). A wave is read and
 * claimed in one unit of a group commit (src/db/group-commit.ts), with the commands arriving
 * meanwhile; items whose handler can work inside that transaction (`inTransaction`: nothing to
 * wait for outside the database) are performed and marked done right there, the others are
 * performed side by side once their claims are committed, their transactions again shared.
 * Items whose handler names a lane (receivers outside the process: lanes.ts) are claimed in
 * the same unit when their lane and target have a free slot, and started without the wave
 * waiting for them.
 * A group commit does at most `GROUP_SLICE_MS` of work per turn; between waves, once
 * `SLICE_MS` has passed since the last pause, the drain yields (setImmediate) so requests are
 * served, and it stops between waves when its `signal` is aborted (shutdown).
 */
import { inSavepoint } from '../db/client.js';
import { groupCommit, groupCommitPending } from '../db/group-commit.js';
import { PROCESS_ID } from '../process-identity.js';
import type { Services } from '../services.js';
import { OutboxLanes, type LaneContext } from './lanes.js';
import { claimItem, handlerMarkedDone, markDone, MAX_ATTEMPTS, outboxStatements, pendingItemDue, retryDelayMs, SLICE_MS, toItem, type OutboxHandler, type OutboxItem } from './outbox.js';

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface DrainOptions {
  limit?: number;
  /** Only this case's items (excluding mail: notifications and reply mails): used to settle a command's effects. */
  caseId?: number;
  /** Stops between items once aborted (shutdown); the rest stays for the next drain. */
  signal?: AbortSignal;
  /** Claims are made as this process (default: this process's identity). */
  owner?: string;
  /**
   * Where items whose handler names a lane are performed (the worker's). Without it they are
   * performed in the waves like any other item.
   */
  lanes?: OutboxLanes;
  /** Return only once the lanes' items in flight at the end have settled (a full drain; not the background kick's). */
  waitForLanes?: boolean;
}

export interface DrainResult {
  done: number;
  failed: number;
}

/** Thrown inside an item's savepoint when its handler cannot perform it in the transaction: nothing stays written. */
class NotHere extends Error {}

/** Most items performed side by side (a wave). */
const WAVE = 32;
/** Most items performed inside one wave's transaction (and at most SLICE_MS of work). */
const HERE = 256;
/** Due items read per wave: enough to fill it when a case has several. */
const READ = 4 * WAVE + HERE;

/** Items this process is performing now, by id: another drain of the process waits for them. */
const performing = new WeakMap<object, Map<number, Promise<void>>>();
/** Rounds of `limit` items a drain performs at most before it returns (the caller drains again). */
const ROUNDS = 20;
/** Due lane items read per look (a busy target's are left out by the query when they name it). */
const LANE_READ = 64;
/**
 * While other items are due, a drain looks for lane items on its first wave and then at most
 * this often: the look walks the due items in order, a few ms behind a backlog of thousands.
 * With nothing else due it looks every wave (a drain that waited for another's items must see
 * the lane items they queued).
 */
const LANE_LOOK_MS = 50;

/** The item types performed in lanes, as the JSON array the queries take. */
const laneTypesOf = new WeakMap<ReadonlyMap<string, OutboxHandler>, string>();
function laneTypes(handlers: ReadonlyMap<string, OutboxHandler>): string {
  let types = laneTypesOf.get(handlers);
  if (types === undefined) laneTypesOf.set(handlers, (types = JSON.stringify([...handlers].filter(([, h]) => h.lane).map(([type]) => type))));
  return types;
}

export async function drainOutbox(
  services: Services,
  handlers: ReadonlyMap<string, OutboxHandler>,
  options: DrainOptions = {},
): Promise<DrainResult> {
  const { db } = services;
  const s = outboxStatements(db);
  const result: DrainResult = { done: 0, failed: 0 };
  const limit = options.limit ?? 500;
  const owner = options.owner ?? PROCESS_ID;
  let sliceStart = performance.now();
  const lanes = options.caseId === undefined ? options.lanes : undefined;
  /** Types kept out of the waves: performed in lanes (none without lanes, and a case's settle leaves them to the background). */
  const inLanes = options.lanes ? laneTypes(handlers) : '[]';
  const lanesUsed = lanes !== undefined && inLanes !== '[]';
  const laneList = [...new Set([...handlers.values()].flatMap((h) => (h.lane ? [h.lane] : [])))];
  let lastLaneLook = -Infinity;
  /**
   * Whether to look for lane items now: a lane has a free slot, and nothing else is due (the
   * look then reads only due lane items: cheap) or the last look is old enough.
   */
  const laneLookDue = (nothingElse: boolean): boolean =>
    lanesUsed && !options.signal?.aborted && (nothingElse || performance.now() - lastLaneLook >= LANE_LOOK_MS) && laneList.some((lane) => lanes!.open(lane));

  /** The attempt failed: retried later with back-off, or given up after MAX_ATTEMPTS. */
  const failed = (item: OutboxItem, error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    const attempts = item.attempts + 1;
    if (attempts >= MAX_ATTEMPTS) {
      s.fail.run(message, services.clock.now(), item.id);
      services.logger.error('outbox item failed for good', { id: item.id, type: item.type, caseId: item.caseId, error: message });
    } else {
      s.retry.run(message, services.clock.now() + retryDelayMs(attempts), item.id);
      services.logger.warn('outbox item failed; will retry', { id: item.id, type: item.type, attempts, error: message });
    }
    result.failed++;
  };

  let flights = performing.get(db.$client);
  if (!flights) performing.set(db.$client, (flights = new Map()));
  const inFlight = flights;
  interface Claimed {
    item: OutboxItem;
    finished: () => void;
  }
  /** The claims of the wave being read: in flight as soon as they are made, so no other drain of this process misses them. */
  let claiming: Claimed[] = [];
  /** Lane items claimed in the wave being read (slots reserved): started once the claims are committed. */
  let toLanes: OutboxItem[] = [];

  /**
   * Performs an item inside the wave's transaction, if its handler can: claimed, performed
   * and marked done in one savepoint. A failure rolls it back and counts the attempt. False
   * when the handler cannot (nothing written) or someone else holds the item.
   */
  const performHere = (item: OutboxItem, now: number): boolean => {
    const inTransaction = handlers.get(item.type)?.inTransaction;
    if (!inTransaction) return false;
    try {
      return inSavepoint(db, () => {
        if (!claimItem(db, item.id, now, owner)) return false;
        if (!inTransaction(services, { ...item, attempts: item.attempts + 1 })) throw new NotHere();
        handlerMarkedDone(db, item.id);
        result.done++;
        return true;
      });
    } catch (error) {
      if (error instanceof NotHere) return false;
      if (!db.$client.inTransaction) throw error; // SQLite lost the whole transaction: the group fails
      handlerMarkedDone(db, item.id);
      claimItem(db, item.id, now, owner); // the attempt counts, as a claimed one that fails
      failed(item, error);
      return true;
    }
  };

  /** Claims the due lane items whose lane, target and case have a free slot. */
  const claimForLanes = (now: number): void => {
    if (!lanes) return;
    lastLaneLook = performance.now();
    const rows = s.dueInLanes(LANE_READ).all(now, inLanes, now, JSON.stringify(lanes.busyTargets()));
    for (const row of rows) {
      const lane = handlers.get(row.type)?.lane;
      if (!lane || !lanes.open(lane)) continue;
      const item = toItem(row);
      if (!lanes.reserve(lane, OutboxLanes.targetOf(services, lane, item), item)) continue;
      if (claimItem(db, row.id, now, owner)) toLanes.push(item);
      else lanes.release(row.id);
    }
  };

  const claimWave = (): { wave: Claimed[]; elsewhere: Promise<void>[]; here: number; lanes: OutboxItem[] } => {
    const now = services.clock.now();
    const started = performance.now();
    toLanes = [];
    const rows = options.caseId !== undefined ? s.dueForCase.all(options.caseId, now, inLanes) : s.due(Math.min(limit, READ)).all(now, inLanes);
    const elsewhere: Promise<void>[] = [];
    const cases = new Set<number>();
    let here = 0;
    claiming = [];
    for (const row of rows) {
      if (claiming.length === WAVE && here === HERE) break;
      // A case's items one after the other, in order: its next item waits for the next wave.
      if (row.case_id !== null && cases.has(row.case_id)) continue;
      if (row.case_id !== null) cases.add(row.case_id);
      // Another drain of this process is performing it: this one waits for it, as if it had.
      const flight = inFlight.get(row.id);
      if (flight) {
        elsewhere.push(flight);
        continue;
      }
      // Work done here counts towards the group's time: the rest waits for the next wave.
      if (here > 0 && performance.now() - started >= SLICE_MS) break;
      if (here < HERE && performHere(toItem(row), now)) {
        here++;
      } else if (claiming.length < WAVE && claimItem(db, row.id, now, owner)) {
        let finished!: () => void;
        inFlight.set(row.id, new Promise<void>((resolve) => (finished = resolve)));
        claiming.push({ item: toItem(row), finished });
      }
    }
    if (laneLookDue(rows.length === 0)) claimForLanes(now);
    return { wave: claiming, elsewhere, here, lanes: toLanes };
  };

  const perform = async ({ item, finished }: Claimed): Promise<void> => {
    try {
      await performItem(item);
    } finally {
      inFlight.delete(item.id);
      finished();
    }
  };

  const performItem = async (item: OutboxItem, context?: LaneContext): Promise<void> => {
    const handler = handlers.get(item.type);
    try {
      if (!handler) throw new Error(`No handler for outbox items of type "${item.type}"`);
      await handler(services, { ...item, attempts: item.attempts + 1 }, context);
      if (!handlerMarkedDone(db, item.id)) markDone(db, item.id, services.clock.now());
      handlerMarkedDone(db, item.id);
      result.done++;
    } catch (error) {
      handlerMarkedDone(db, item.id); // a mark made in a transaction that did not commit
      failed(item, error);
    }
  };

  /**
   * Whether any pending item at all (of any case, type or lane, claimed or not) is due: one probe
   * of the pending items' index, the first thing a drain asks — most kicks (after a command
   * whose items were all performed in its own transaction) find nothing and stop there.
   */
  const somethingPendingDue = (): boolean => pendingItemDue(db, services.clock.now());

  /** Whether anything is due at all: a plain read, cheaper than a write transaction that finds nothing. */
  const anythingDue = (): boolean => {
    const now = services.clock.now();
    if ((options.caseId !== undefined ? s.dueForCase.all(options.caseId, now, inLanes) : s.due(1).all(now, inLanes)).length > 0) return true;
    return laneLookDue(true) && s.dueInLanes(1).all(now, inLanes, now, JSON.stringify(lanes!.busyTargets())).length > 0;
  };

  // Items written while draining (e.g. an escalation's follow-ups) are picked up by later waves.
  let performed = 0;
  const waves = async (): Promise<void> => {
    while (performed < limit * ROUNDS) {
      if (performance.now() - sliceStart >= SLICE_MS) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
      if (options.signal?.aborted) break;
      // Plain reads tell whether to look at all: first whether anything pending is due (one
      // index probe), then — unless other writes are queued for this turn's group, where
      // looking costs little — whether this drain has anything to claim. A kick after a
      // command whose items were all performed in its own transaction (perform-now.ts) costs
      // the probe, neither a write transaction nor a unit in the next command's group.
      if (!somethingPendingDue() || (!groupCommitPending(db) && !anythingDue())) break;
      let claimed: ReturnType<typeof claimWave>;
      try {
        claimed = await groupCommit(db, claimWave);
      } catch (error) {
        // The claims were rolled back: nobody performs those items now.
        for (const { item, finished } of claiming) {
          inFlight.delete(item.id);
          finished();
        }
        for (const item of toLanes) lanes?.release(item.id);
        throw error;
      }
      const { wave, elsewhere, here } = claimed;
      // Lane items start now and run on their own: the waves do not wait for them.
      for (const item of claimed.lanes) {
        void lanes!.start(item.id, (context) =>
          performItem(item, context).catch((error: unknown) => services.logger.error('outbox lane item not recorded', { id: item.id, type: item.type, error })),
        );
      }
      if (wave.length === 0 && elsewhere.length === 0 && here === 0 && claimed.lanes.length === 0) break;
      const settled = await Promise.allSettled(wave.map(perform));
      await Promise.allSettled(elsewhere);
      for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
      performed += Math.max(wave.length + here + claimed.lanes.length, 1);
    }
  };

  for (;;) {
    await waves();
    // A full drain waits for the lanes' items, then looks again (freed slots, their follow-ups).
    if (!options.waitForLanes || !lanes || lanes.size === 0 || options.signal?.aborted) break;
    await lanes.settled();
    lastLaneLook = -Infinity; // slots were freed: look again at once
  }
  return result;
}
