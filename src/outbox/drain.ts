/**
 * Draining the outbox (see outbox.ts for claims and exactly-once) on the storage port
 * (`services.store`; the SQL per dialect in queue.ts, sqlite.ts and pg.ts). Items are performed
 * in waves of up to 32 (items of one case one after the other, in order). A wave is read and
 * claimed in one `store.write` — on SQLite a unit of a group commit (src/db/group-commit.ts),
 * with the commands arriving meanwhile, where items whose handler can work inside that
 * transaction (`inTransaction`: nothing to wait for outside the database) are performed and
 * marked done right there; on PostgreSQL one `FOR UPDATE SKIP LOCKED` claim, so workers on
 * several instances never take the same row. The others are performed side by side once their
 * claims are committed, their transactions again shared.
 * Items whose handler names a lane (receivers outside the process: lanes.ts) are claimed in
 * the same write when their lane and target have a free slot, and started without the wave
 * waiting for them.
 * A drain other than a command's settle writes as background work (`inBackground`): on SQLite
 * its units give way to requests' in the group commit, so a request does not queue behind a
 * backlog's waves. A group commit does at most `GROUP_SLICE_MS` of work per turn; between waves, once
 * `SLICE_MS` has passed since the last pause, the drain yields (setImmediate) so requests are
 * served — a background drain after 2 ms instead while requests write (`backgroundSlice`) —
 * and it stops between waves when its `signal` is aborted (shutdown).
 */
import { backgroundSlice, inBackground, type Store } from '../db/store/index.js';
import { PROCESS_ID } from '../process-identity.js';
import type { Services } from '../services.js';
import { outboxQueue } from './dialect.js';
import type { LaneContext, OutboxLanes } from './lanes.js';
import { SLICE_MS } from './limits.js';
import type { OutboxHandler, OutboxItem } from './outbox.js';
import { failureOf, type ClaimedWave, type Flight, type WaveContext } from './queue.js';

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** How long a settle keeps looking for its case's item while another transaction holds it. */
const SKIPPED_WAIT_MS = 5_000;

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
  /**
   * The background kick's drain: when it finds nothing to claim it returns at once, without
   * waiting for the items other drains of this process are performing (the next kick performs
   * what comes meanwhile). Every other drain waits for them: a settle for its case's, a full
   * drain (`outbox.drain()`, the sweep's) for all.
   */
  background?: boolean;
}

export interface DrainResult {
  done: number;
  failed: number;
}

/** Items this process is performing now, by id, per database: another drain of the process waits for them. */
const performing = new WeakMap<object, Map<number, Flight>>();
/** The database behind a store (queue.key): stores over one SQLite connection share its items in flight. */
const keys = new WeakMap<Store, object>();
/** Rounds of `limit` items a drain performs at most before it returns (the caller drains again). */
const ROUNDS = 20;
/**
 * While other items are due, a drain looks for lane items on its first wave and then at most
 * this often: a statement of its own (the built-in lane types' pending items have an index of
 * their own since drizzle/0052; before, the look walked every due item in order, 0.34 s behind
 * 1.5 million). With nothing else due it looks every wave (a drain that waited for another's
 * items must see the lane items they queued).
 */
const LANE_LOOK_MS = 50;

/** The item types performed in lanes, as the JSON array the queries take (sorted: the built-in handlers' is `LANE_ITEM_TYPES_JSON`, which has an index). */
const laneTypesOf = new WeakMap<ReadonlyMap<string, OutboxHandler>, string>();
export function laneTypes(handlers: ReadonlyMap<string, OutboxHandler>): string {
  let types = laneTypesOf.get(handlers);
  if (types === undefined) laneTypesOf.set(handlers, (types = JSON.stringify([...handlers].filter(([, h]) => h.lane).map(([type]) => type).sort())));
  return types;
}

/**
 * The services with `inBackground`'s store: a drain's writes give way to requests' (SQLite's
 * group commit). Everything else is read through to the services themselves (their prototype),
 * so what is set on them later (a mailer, the mailboxes) is seen.
 */
const backgroundOf = new WeakMap<Services, Services>();
function inBackgroundServices(services: Services): Services {
  const store = inBackground(services.store);
  if (store === services.store) return services;
  // Made again when the services' store was replaced since (a test moving them to PostgreSQL).
  let background = backgroundOf.get(services);
  if (background?.store !== store) backgroundOf.set(services, (background = Object.create(services, { store: { value: store, enumerable: true } }) as Services));
  return background!;
}

export async function drainOutbox(
  requested: Services,
  handlers: ReadonlyMap<string, OutboxHandler>,
  options: DrainOptions = {},
): Promise<DrainResult> {
  // A settle performs its command's effects: its writes are the request's. Every other drain is
  // background work, and its claims and items' writes give way to requests'.
  const services = options.caseId === undefined ? inBackgroundServices(requested) : requested;
  const { store } = services;
  const queue = outboxQueue(store.dialect);
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
  const lookLanes = (nothingElse: boolean, mark = false): boolean => {
    const due = lanesUsed && !options.signal?.aborted && (nothingElse || performance.now() - lastLaneLook >= LANE_LOOK_MS) && laneList.some((lane) => lanes!.open(lane));
    if (due && mark) lastLaneLook = performance.now();
    return due;
  };
  const busyTargets = (): string => JSON.stringify(lanes?.busyTargets() ?? []);

  let key = keys.get(store);
  if (!key) keys.set(store, (key = await store.query((q) => Promise.resolve(queue.key(q)))));
  let flights = performing.get(key);
  if (!flights) performing.set(key, (flights = new Map()));
  const inFlight = flights;
  /** Items in flight in this process that this drain waits for: its case's for a settle, any for a full drain. */
  const flightsToAwait = (): boolean => (options.caseId === undefined ? inFlight.size > 0 : caseFlights().length > 0);
  /** A settle's case's items in flight in this process. */
  const caseFlights = (): Flight[] => [...inFlight.values()].filter((f) => f.caseId === options.caseId);
  /**
   * What a drain that found nothing to claim still waits for before it returns: a settle, its
   * case's items in flight in this process; a full drain, all of them — not only those it met in
   * `elsewhere`, read before the wave's last query: on PostgreSQL another drain's claim can come
   * into flight and commit during that query, which then finds nothing due (`outbox.drain()`
   * returned while the background drain was still sending the mail: 34 of 300 tries in
   * test/postgres/outbox.test.ts). The background kick's drain waits for none (`background`).
   */
  const waitedFor = (): Flight[] => (options.caseId !== undefined ? caseFlights() : options.background ? [] : [...inFlight.values()]);
  /** Waits for those flights; false when there were none. */
  const waitForFlights = async (flights: Flight[]): Promise<boolean> => {
    if (flights.length === 0) return false;
    await Promise.allSettled(flights.map((f) => f.done));
    return true;
  };

  interface Claimed {
    item: OutboxItem;
    finished: () => void;
  }
  /** The claims of the wave being made: in flight as soon as they are made, so no other drain of this process misses them. */
  let claiming: Claimed[] = [];
  const track = (item: OutboxItem): void => {
    if (inFlight.has(item.id)) return;
    let finished!: () => void;
    inFlight.set(item.id, { done: new Promise<void>((resolve) => (finished = resolve)), caseId: item.caseId });
    claiming.push({ item, finished });
  };
  const untrack = (claims: Claimed[]): void => {
    for (const { item, finished } of claims) {
      inFlight.delete(item.id);
      finished();
    }
  };

  const context = (now: number): WaveContext => ({
    services,
    handlers,
    now,
    owner,
    limit,
    caseId: options.caseId,
    inLanes,
    lookLanes,
    busyTargets,
    inFlight,
    lanes,
    result: { done: 0, failed: 0 },
    track,
    toLanes: [],
  });

  /** Reads and claims a wave in one write. The write may run again (PostgreSQL): each run starts from nothing. */
  const claimWave = (ctx: WaveContext): Promise<ClaimedWave> =>
    store.write((q) => {
      untrack(claiming.splice(0));
      for (const item of ctx.toLanes.splice(0)) lanes?.release(item.id);
      ctx.result = { done: 0, failed: 0 };
      ctx.now = services.clock.now();
      return queue.claimWave(q, ctx);
    });

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
      await services.store.query((q) => queue.complete(q, item.id, services.clock.now()));
      result.done++;
    } catch (error) {
      const failure = failureOf({ services, result }, item, error);
      await services.store.query((q) => queue.recordFailure(q, item.id, failure));
    }
  };

  // Items written while draining (e.g. an escalation's follow-ups) are picked up by later waves.
  let performed = 0;
  /** Until when a settle looks again for an item another transaction holds (a claim takes milliseconds). */
  let skippedUntil: number | undefined;
  const waves = async (): Promise<void> => {
    while (performed < limit * ROUNDS) {
      if (performance.now() - sliceStart >= backgroundSlice(store, SLICE_MS)) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
      if (options.signal?.aborted) break;
      // A cheap look first (queue.ts: on SQLite one index probe, then a plain read): a kick
      // after a command whose items were all performed in its own transaction (perform-now.ts)
      // costs the probe, neither a write transaction nor a unit in the next command's group.
      const now = services.clock.now();
      const look = { now, caseId: options.caseId, inLanes, lookLanes, busyTargets, flightsToAwait: flightsToAwait() };
      if (!(await store.query((q) => queue.worthAWave(q, look)))) {
        // Nothing due, as far as that look saw: but another drain's claim may have come into
        // flight here and committed while it ran (PostgreSQL). Then it waits for that, and looks again.
        if (!look.flightsToAwait && (await waitForFlights(waitedFor()))) continue;
        break;
      }
      const ctx = context(now);
      let claimed: ClaimedWave;
      try {
        claimed = await claimWave(ctx);
      } catch (error) {
        // The claims were rolled back: nobody performs those items now.
        untrack(claiming.splice(0));
        for (const item of ctx.toLanes) lanes?.release(item.id);
        throw error;
      }
      // What the committed run performed or failed in the transaction counts.
      result.done += ctx.result.done;
      result.failed += ctx.result.failed;
      // Claims made after the write (PostgreSQL) are in flight from now on.
      for (const item of claimed.wave) track(item);
      const wave = claiming.splice(0);
      const { elsewhere, here } = claimed;
      // Lane items start now and run on their own: the waves do not wait for them.
      for (const item of ctx.toLanes) {
        void lanes!.start(item.id, (context) =>
          performItem(item, context).catch((error: unknown) => services.logger.error('outbox lane item not recorded', { id: item.id, type: item.type, error })),
        );
      }
      if (wave.length === 0 && elsewhere.length === 0 && here === 0 && ctx.toLanes.length === 0) {
        // A settle or a full drain must not return before the items due are performed: another
        // drain of this process may have claimed one meanwhile (then it waits for it), or be
        // claiming it right now (PostgreSQL: the row locked, the claim not yet in flight here;
        // it looks again).
        if (await waitForFlights(waitedFor())) continue;
        if (claimed.skipped && (skippedUntil ??= performance.now() + SKIPPED_WAIT_MS) > performance.now()) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          continue;
        }
        break;
      }
      skippedUntil = undefined;
      const settled = await Promise.allSettled(wave.map(perform));
      await Promise.allSettled(elsewhere);
      for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
      performed += Math.max(wave.length + here + ctx.toLanes.length, 1);
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
