/**
 * Dry-runs as background jobs, so a long replay shows its progress: the page starts a job,
 * then polls it until it is done. A job is a row of `dry_run_jobs` (state, progress, result,
 * who started it, when), so the poll may land on any instance behind a load balancer: the
 * instance running the replay writes its progress and result there, any instance reads them.
 * A job belongs to the person who started it (anyone else asking for its id gets nothing,
 * exactly like an unknown id). One person runs at most `maxRunningPerOwner` at a time, and at
 * most `maxRunning` run at once on the database.
 *
 * The instance running a job renews its lease (`heartbeat_at`) with each progress report and
 * every `leaseMs / 3`; a job still `running` whose lease is older than `leaseMs` was lost with
 * its instance (a crash, a restart) and is reported — and recorded — as failed, not as running
 * for ever. Finished jobs are deleted `keepMs` (a day) after they finished. A dry-run writes
 * nothing else.
 *
 * A job's outcome (its result or its error) is written once it ends; when that write fails (the
 * database busy, cut by its statement timeout, out of reach), the instance keeps the outcome in
 * memory and writes it again every `retryMs` until it is stored or the lease has run out. Only
 * then is the job abandoned, and it says why: its outcome could not be stored, with the kind of
 * error (`UNSTORED_MESSAGE`), written in place of the plain "stopped" message another
 * instance's poll may have recorded meanwhile.
 */
import { and, count, eq, lt, or } from 'drizzle-orm';
import { randomToken } from '../auth/tokens.js';
import type { dryRunJobs } from '../db/schema/index.js';
import type { Handle, Store } from '../db/store/index.js';
import { databaseFault, sqlState, type DatabaseFault } from '../db/store/errors.js';
import { DomainError } from '../errors.js';
import { PROCESS_ID } from '../process-identity.js';
import type { DryRunResult } from './dry-run.js';

export type DryRunJobStatus = 'running' | 'done' | 'failed';

export interface DryRunJobMeta {
  ruleset: string;
  /** The draft version replayed. */
  draftVersion: number;
  /** The cases replayed, in words ("the last 1,000 cases"). */
  label: string;
  /** How many cases it will replay, when known before it starts. */
  total?: number;
}

export interface DryRunJob extends Omit<DryRunJobMeta, 'total'> {
  id: string;
  owner: string;
  status: DryRunJobStatus;
  /** Cases replayed so far. */
  done: number;
  /** Cases selected; null until they are loaded. */
  total: number | null;
  result: DryRunResult | null;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface DryRunJobsOptions {
  /** Jobs running at once on the database (every instance). Default 20. */
  maxRunning?: number;
  /** Jobs one person may run at the same time. Default 2. */
  maxRunningPerOwner?: number;
  /** How long a finished job's result is kept. Default a day. */
  keepMs?: number;
  /** A running job whose instance has not renewed it for this long is failed. Default 2 minutes. */
  leaseMs?: number;
  /** Pause between two tries of a job's final write that failed. Default 5 seconds. */
  retryMs?: number;
  /** Runs `fn` once after `ms` (default: an unref'd setTimeout; tests: timers they fire). */
  setTimer?: (fn: () => void, ms: number) => void;
  /** The services' clock (tests: a manual one). */
  now: () => number;
}

export type DryRunTask = (progress: (done: number, total: number) => void) => Promise<DryRunResult>;

/** What a job abandoned by its instance says. */
export const ABANDONED_MESSAGE = 'the server running it stopped before it finished (restarted or failed); start the dry-run again';

/** What a job says whose outcome its instance could not store before the lease ran out (`why`: errorKind). */
export function UNSTORED_MESSAGE(outcome: 'done' | 'failed', why: string): string {
  const what = outcome === 'done' ? 'the dry-run finished, but its result' : 'the dry-run failed, but its error';
  return `${what} could not be stored before its lease ran out: ${why}; start the dry-run again`;
}

/** The database faults a DomainError already stands for (a command that put one in words). */
const DOMAIN_FAULTS: Partial<Record<string, DatabaseFault>> = { DATABASE_BUSY: 'busy', STORAGE_FULL: 'storageFull' };

/** The kind of error a write failed with, in words and a code (`databaseFault`: the database busy, out of reach, not answering in time, full…). */
export function errorKind(error: unknown): string {
  switch (error instanceof DomainError ? DOMAIN_FAULTS[error.code] : databaseFault(error)) {
    case 'timeout':
      return 'the database did not answer in time (DATABASE_UNAVAILABLE)';
    case 'unreachable':
      return 'the database could not be reached (DATABASE_UNAVAILABLE)';
    case 'busy':
      return 'the database was busy (DATABASE_BUSY)';
    case 'storageFull':
      return 'the disk was full (STORAGE_FULL)';
  }
  const code = error instanceof DomainError ? error.code : sqlState(error);
  if (code) return `the database refused the write (${code})`;
  return `the write failed (${error instanceof Error ? error.name : 'unknown error'})`;
}

type Row = typeof dryRunJobs.$inferSelect;

const DEFAULT_KEEP_MS = 24 * 60 * 60_000;
const DEFAULT_LEASE_MS = 2 * 60_000;
const DEFAULT_RETRY_MS = 5_000;

function unrefTimer(fn: () => void, ms: number): void {
  setTimeout(fn, ms).unref();
}

function jobOf(row: Row): DryRunJob {
  return {
    id: row.id,
    owner: row.owner,
    ruleset: row.ruleset,
    draftVersion: row.draftVersion,
    label: row.label,
    status: row.state,
    done: row.done,
    total: row.total,
    result: row.result === null ? null : (JSON.parse(row.result) as DryRunResult),
    error: row.error,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export class DryRunJobs {
  readonly #store: Store;
  readonly #maxRunning: number;
  readonly #maxRunningPerOwner: number;
  readonly #keepMs: number;
  readonly #leaseMs: number;
  readonly #retryMs: number;
  readonly #setTimer: (fn: () => void, ms: number) => void;
  readonly #now: () => number;

  constructor(store: Store, options: DryRunJobsOptions) {
    this.#store = store;
    this.#maxRunning = options.maxRunning ?? 20;
    this.#maxRunningPerOwner = options.maxRunningPerOwner ?? 2;
    this.#keepMs = options.keepMs ?? DEFAULT_KEEP_MS;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
    this.#setTimer = options.setTimer ?? unrefTimer;
    this.#now = options.now;
  }

  /** Records the job and starts `task` in the background; refuses (TOO_MANY_REQUESTS) when the caps are reached. */
  async start(owner: string, meta: DryRunJobMeta, task: DryRunTask): Promise<DryRunJob> {
    await this.#sweep();
    const now = this.#now();
    const row = await this.#store.write(async (q) => {
      const t = q.tables.dryRunJobs;
      const [mine] = await q.db.select({ n: count() }).from(t).where(and(eq(t.owner, owner), eq(t.state, 'running')));
      if ((mine?.n ?? 0) >= this.#maxRunningPerOwner) {
        throw new DomainError('TOO_MANY_REQUESTS', `You already have ${mine!.n} dry-runs running; wait for one to finish.`);
      }
      const [all] = await q.db.select({ n: count() }).from(t).where(eq(t.state, 'running'));
      if ((all?.n ?? 0) >= this.#maxRunning) throw new DomainError('TOO_MANY_REQUESTS', 'Too many dry-runs are running right now; try again in a moment.');
      const values = { id: randomToken(), owner, ruleset: meta.ruleset, draftVersion: meta.draftVersion, label: meta.label, state: 'running' as const, done: 0, total: meta.total ?? null, result: null, error: null, runBy: PROCESS_ID, startedAt: now, heartbeatAt: now, finishedAt: null };
      await q.db.insert(t).values(values);
      return values;
    });
    const id = row.id;
    // Progress and heartbeats are written one at a time, the latest winning; the end waits for them.
    let pending: { done: number; total: number } | null = null;
    let writing: Promise<void> = Promise.resolve();
    /** When the lease was last renewed in the database (as far as this instance knows). */
    let renewedAt = now;
    const flush = () => {
      writing = writing.then(async () => {
        const next = pending;
        pending = null;
        const at = this.#now();
        const set = next ? { done: next.done, total: next.total, heartbeatAt: at } : { heartbeatAt: at };
        await this.#store.query((q) => q.db.update(q.tables.dryRunJobs).set(set).where(and(eq(q.tables.dryRunJobs.id, id), eq(q.tables.dryRunJobs.state, 'running'))));
        renewedAt = at;
      }).catch(() => undefined); // a lost heartbeat is retried by the next one
    };
    const progress = (done: number, total: number) => {
      const first = pending === null;
      pending = { done, total };
      if (first) flush();
    };
    const heartbeat = setInterval(flush, Math.max(1000, Math.floor(this.#leaseMs / 3)));
    heartbeat.unref();
    const finish = async (set: { state: 'done' | 'failed'; result?: string; error?: string; done?: number; total?: number }) => {
      clearInterval(heartbeat);
      await writing;
      await this.#storeOutcome(id, set, renewedAt);
    };
    // Start on the next turn of the event loop: the request that started the job answers first.
    setImmediate(() => {
      task(progress).then(
        (result) => finish({ state: 'done', result: JSON.stringify(result), done: result.total, total: result.total }),
        (error: unknown) => finish({ state: 'failed', error: error instanceof Error ? error.message : String(error) }),
      );
    });
    return jobOf({ ...row, result: null });
  }

  /**
   * Writes a finished job's outcome; if that fails, again every `retryMs` while the lease
   * (renewed last at `renewedAt`) runs. Then it gives the outcome up and records instead that
   * it could not be stored and why — over the plain abandoned message a poll may have written
   * — trying as long as the finished job would be kept.
   */
  async #storeOutcome(id: string, set: { state: 'done' | 'failed'; result?: string; error?: string; done?: number; total?: number }, renewedAt: number): Promise<void> {
    const unfinished = (t: Handle['tables']['dryRunJobs']) => and(eq(t.id, id), or(eq(t.state, 'running'), and(eq(t.state, 'failed'), eq(t.error, ABANDONED_MESSAGE))));
    let lastError: unknown = null;
    // The first try writes the outcome whatever the lease (a job that ended after its lease ran
    // out still shows its real outcome, if it can); a retry only while the lease runs.
    const attempt = async (first: boolean): Promise<void> => {
      const now = this.#now();
      const leaseOver = !first && now - renewedAt > this.#leaseMs;
      if (leaseOver && now - renewedAt > this.#leaseMs + this.#keepMs) return; // the job is gone by now
      const values = leaseOver ? { state: 'failed' as const, error: UNSTORED_MESSAGE(set.state, errorKind(lastError)) } : set;
      try {
        await this.#store.query((q) => q.db.update(q.tables.dryRunJobs).set({ ...values, finishedAt: now }).where(unfinished(q.tables.dryRunJobs)));
      } catch (error) {
        if (!leaseOver) lastError = error;
        this.#setTimer(() => void attempt(false), this.#retryMs);
      }
    };
    await attempt(true);
  }

  /** The job if it exists and belongs to `owner`; a running one whose lease expired is failed first. */
  async get(owner: string, id: string): Promise<DryRunJob | undefined> {
    await this.#sweep();
    const row = await this.#store.query(async (q) => {
      const t = q.tables.dryRunJobs;
      const [found] = await q.db.select().from(t).where(and(eq(t.id, id), eq(t.owner, owner)));
      return found;
    });
    return row ? jobOf(row) : undefined;
  }

  async #sweep(): Promise<void> {
    await this.#store.query((q) => sweepDryRunJobs(q, this.#now(), { keepMs: this.#keepMs, leaseMs: this.#leaseMs }));
  }
}

/**
 * Fails the running jobs whose lease expired, and deletes the finished ones past `keepMs`
 * (each start and poll does it, and the hourly `dry-run-purge` job, so results do not stay
 * beyond a day when nobody dry-runs again). How many rows it deleted.
 */
export async function sweepDryRunJobs(q: Handle, now: number, options: { keepMs?: number; leaseMs?: number } = {}): Promise<number> {
  const t = q.tables.dryRunJobs;
  const keepMs = options.keepMs ?? DEFAULT_KEEP_MS;
  await q.db
    .update(t)
    .set({ state: 'failed', error: ABANDONED_MESSAGE, finishedAt: now })
    .where(and(eq(t.state, 'running'), lt(t.heartbeatAt, now - (options.leaseMs ?? DEFAULT_LEASE_MS))));
  const deleted = await q.db
    .delete(t)
    .where(and(or(eq(t.state, 'done'), eq(t.state, 'failed')), lt(t.finishedAt, now - keepMs)))
    .returning({ id: t.id });
  return deleted.length;
}
