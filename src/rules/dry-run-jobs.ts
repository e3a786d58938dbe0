/**
 * Dry-runs as in-memory background jobs, so a long replay shows its progress: the page
 * starts a job, then polls it until it is done. A job belongs to the person who started it
 * (anyone else asking for its id gets nothing, exactly like an unknown id). The registry
 * is capped: finished jobs are kept for `keepMs`, at most `maxJobs` jobs are held (the
 * oldest finished ones are dropped first), and one person runs at most
 * `maxRunningPerOwner` at a time. Nothing here survives a restart, and nothing needs to:
 * a dry-run writes nothing.
 */
import { randomToken } from '../auth/tokens.js';
import { DomainError } from '../errors.js';
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
  /** Jobs held at most (running and finished). Default 50. */
  maxJobs?: number;
  /** Jobs one person may run at the same time. Default 2. */
  maxRunningPerOwner?: number;
  /** How long a finished job's result is kept. Default 30 minutes. */
  keepMs?: number;
  now?: () => number;
}

export type DryRunTask = (progress: (done: number, total: number) => void) => Promise<DryRunResult>;

export class DryRunJobs {
  readonly #jobs = new Map<string, DryRunJob>();
  readonly #maxJobs: number;
  readonly #maxRunning: number;
  readonly #keepMs: number;
  readonly #now: () => number;

  constructor(options: DryRunJobsOptions = {}) {
    this.#maxJobs = options.maxJobs ?? 50;
    this.#maxRunning = options.maxRunningPerOwner ?? 2;
    this.#keepMs = options.keepMs ?? 30 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Starts `task` in the background; refuses (TOO_MANY_REQUESTS) when the caps are reached. */
  start(owner: string, meta: DryRunJobMeta, task: DryRunTask): DryRunJob {
    this.#prune();
    const running = [...this.#jobs.values()].filter((j) => j.owner === owner && j.status === 'running').length;
    if (running >= this.#maxRunning) {
      throw new DomainError('TOO_MANY_REQUESTS', `You already have ${running} dry-runs running; wait for one to finish.`);
    }
    if (this.#jobs.size >= this.#maxJobs) {
      throw new DomainError('TOO_MANY_REQUESTS', 'Too many dry-runs are running right now; try again in a moment.');
    }
    const job: DryRunJob = { ...meta, id: randomToken(), owner, status: 'running', done: 0, total: meta.total ?? null, result: null, error: null, startedAt: this.#now(), finishedAt: null };
    this.#jobs.set(job.id, job);
    const progress = (done: number, total: number) => {
      job.done = done;
      job.total = total;
    };
    // Start on the next turn of the event loop: the request that started the job answers first.
    setImmediate(() => {
      task(progress).then(
        (result) => {
          job.result = result;
          job.done = result.total;
          job.total = result.total;
          job.status = 'done';
          job.finishedAt = this.#now();
        },
        (error: unknown) => {
          job.error = error instanceof Error ? error.message : String(error);
          job.status = 'failed';
          job.finishedAt = this.#now();
        },
      );
    });
    return job;
  }

  /** The job if it exists and belongs to `owner`. */
  get(owner: string, id: string): DryRunJob | undefined {
    this.#prune();
    const job = this.#jobs.get(id);
    return job && job.owner === owner ? job : undefined;
  }

  get size(): number {
    return this.#jobs.size;
  }

  /** Drops expired finished jobs, then the oldest finished ones while over the cap. */
  #prune(): void {
    const now = this.#now();
    for (const [id, job] of this.#jobs) {
      if (job.finishedAt !== null && now - job.finishedAt > this.#keepMs) this.#jobs.delete(id);
    }
    if (this.#jobs.size < this.#maxJobs) return;
    const finished = [...this.#jobs.values()].filter((j) => j.finishedAt !== null).sort((a, b) => a.finishedAt! - b.finishedAt!);
    for (const job of finished) {
      if (this.#jobs.size < this.#maxJobs) break;
      this.#jobs.delete(job.id);
    }
  }
}
