/**
 * Live signals between the instances on one PostgreSQL database, with LISTEN/NOTIFY
 * (the `LiveRelay` of src/db/live-relay.ts; docs/postgres.md, "Live signals across instances").
 *
 * - One dedicated connection per process `LISTEN`s on `casebook_live` (not a pooled one: a
 *   pool would hand it to a query and recycle it when idle).
 * - Sending is `pg_notify` through the pool, after the writing transaction (never inside it:
 *   see NOTIFY_SQL and docs/postgres.md for why): what is queued in
 *   one turn of the event loop goes out in one statement, one statement at a time, so an
 *   instance's signals arrive in the order it sent them and use at most one pooled connection.
 *   PostgreSQL folds identical notifications of one transaction into one: signals carry no
 *   data, so that only saves a re-read.
 * - Every payload is JSON `{ "i": instance, "t": topic, "m": message }`, at most
 *   MAX_PAYLOAD_BYTES (NOTIFY's limit is 8000); a larger one is not sent (`onError`). An
 *   instance drops its own when they come back to its listener.
 * - When the listening connection drops, it reconnects with backoff (MIN → MAX delay,
 *   doubling); once it listens again, `onResync` handlers run: whatever was sent meanwhile is
 *   lost, and a re-read everywhere repairs it.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { LiveRelay } from '../live-relay.js';
import { PG_TYPES } from './client.js';

/** The one channel every Casebook instance listens on. */
export const LIVE_CHANNEL = 'casebook_live';
/** A payload larger than this is not sent (PostgreSQL's limit is 8000 bytes). */
export const MAX_PAYLOAD_BYTES = 4000;

/**
 * One statement, its own transaction: every payload of the batch, in order. A transaction
 * that notifies holds a cluster-wide lock from just before its commit until after it
 * (PostgreSQL's async.c: notifications enter the queue in commit order), so this one commits
 * without waiting for its WAL flush (`synchronous_commit` off for it alone): a signal carries
 * nothing that must survive a crash, and the lock is let go at once.
 */
const NOTIFY_SQL = `SELECT pg_notify($1, payload) FROM (SELECT set_config('synchronous_commit', 'off', true)) AS quick, unnest($2::text[]) AS payload`;

export interface PostgresRelayOptions {
  /** This instance's id (default: a random UUID). */
  instanceId?: string;
  /** First delay before reconnecting the listener (default 100 ms), doubled on every failed attempt… */
  minRetryMs?: number;
  /** …up to this (default 10 s). */
  maxRetryMs?: number;
  /** A send that failed or was too large, a listener that dropped or failed to reconnect, a handler that threw. */
  onError?: (error: Error) => void;
}

export interface PostgresRelay extends LiveRelay {
  /** The listening connection's backend pid (null while reconnecting). */
  readonly listenerPid: number | null;
  /** Resolves once everything sent so far has gone out (or failed). */
  flush(): Promise<void>;
  /** Unlistens, ends the listening connection and, when it made it, the pool. */
  close(): Promise<void>;
}

/**
 * A relay on the database of `source` (a pool of `openPostgres`, or a URL: then it opens
 * its own pool of one connection for sending). Resolves once it listens.
 */
export async function postgresRelay(source: pg.Pool | string, options: PostgresRelayOptions = {}): Promise<PostgresRelay> {
  const ownPool = typeof source === 'string';
  const pool = ownPool ? new pg.Pool({ connectionString: source, types: PG_TYPES, max: 1 }) : source;
  if (ownPool) pool.on('error', (error) => options.onError?.(error));
  const relay = new NotifyRelay(pool, ownPool, options);
  try {
    await relay.listen();
  } catch (error) {
    await relay.close();
    throw error;
  }
  return relay;
}

type Listener = { client: pg.Client; pid: number };

class NotifyRelay implements PostgresRelay {
  readonly instanceId: string;
  readonly #pool: pg.Pool;
  readonly #ownPool: boolean;
  readonly #minRetryMs: number;
  readonly #maxRetryMs: number;
  readonly #onError: (error: Error) => void;
  readonly #handlers = new Map<string, Set<(message: unknown) => void>>();
  readonly #resyncs = new Set<() => void>();
  #listener: Listener | null = null;
  #retry: NodeJS.Timeout | null = null;
  #attempt = 0;
  #closed = false;
  #queue: string[] = [];
  #sending: Promise<void> | null = null;
  #connecting: Promise<void> | null = null;

  constructor(pool: pg.Pool, ownPool: boolean, options: PostgresRelayOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.#pool = pool;
    this.#ownPool = ownPool;
    this.#minRetryMs = options.minRetryMs ?? 100;
    this.#maxRetryMs = options.maxRetryMs ?? 10_000;
    this.#onError = (error) => options.onError?.(error);
  }

  get listenerPid(): number | null {
    return this.#listener?.pid ?? null;
  }

  send(topic: string, message: unknown): void {
    if (this.#closed) return;
    const payload = JSON.stringify({ i: this.instanceId, t: topic, m: message });
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_PAYLOAD_BYTES) {
      this.#onError(new Error(`live signal on "${topic}" not sent: ${bytes} bytes, more than ${MAX_PAYLOAD_BYTES}`));
      return;
    }
    this.#queue.push(payload);
    this.#sending ??= this.#drain();
  }

  receive(topic: string, handler: (message: unknown) => void): () => void {
    let set = this.#handlers.get(topic);
    if (!set) this.#handlers.set(topic, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  onResync(handler: () => void): () => void {
    this.#resyncs.add(handler);
    return () => this.#resyncs.delete(handler);
  }

  async flush(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    await this.flush();
    await this.#connecting;
    const listener = this.#listener;
    this.#listener = null;
    if (listener) {
      await listener.client.query(`UNLISTEN ${LIVE_CHANNEL}`).catch(() => undefined);
      await listener.client.end().catch(() => undefined);
    }
    if (this.#ownPool) await this.#pool.end();
  }

  /** Sends what is queued, one statement at a time, until the queue is empty. */
  async #drain(): Promise<void> {
    // What else this turn of the event loop sends goes into the same statement.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        try {
          await this.#pool.query(NOTIFY_SQL, [LIVE_CHANNEL, batch]);
        } catch (error) {
          this.#onError(new Error(`live signals not sent (${batch.length}): ${(error as Error).message}`));
        }
      }
    } finally {
      this.#sending = null;
    }
  }

  /** Opens the listening connection and LISTENs; a drop later schedules a reconnect. */
  async listen(): Promise<void> {
    const client = new pg.Client({ ...this.#pool.options, keepAlive: true });
    let listening = false;
    let dropped = false;
    const drop = (error?: Error) => {
      if (dropped) return;
      dropped = true;
      client.end().catch(() => undefined);
      // Before it listens, the failure is listen()'s to report.
      if (!listening) return;
      if (this.#listener?.client === client) this.#listener = null;
      if (this.#closed) return;
      this.#onError(new Error(`live signals: the listening connection dropped${error ? `: ${error.message}` : ''}`));
      this.#scheduleReconnect();
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (n) => this.#notified(n));
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_CHANNEL}`);
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      if (dropped) throw new Error('the connection dropped as it started listening');
      if (this.#closed) {
        dropped = true;
        await client.end().catch(() => undefined);
        return;
      }
      listening = true;
      this.#listener = { client, pid };
    } catch (error) {
      dropped = true;
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retry) return;
    const delay = Math.min(this.#maxRetryMs, this.#minRetryMs * 2 ** this.#attempt);
    this.#attempt++;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (this.#closed) return;
      this.#connecting = this.listen()
        .then(
          () => {
            this.#attempt = 0;
            if (this.#closed) return;
            for (const handler of [...this.#resyncs]) this.#run(handler, undefined);
          },
          (error: Error) => {
            if (this.#closed) return;
            this.#onError(new Error(`live signals: reconnecting failed: ${error.message}`));
            this.#scheduleReconnect();
          },
        )
        .finally(() => {
          this.#connecting = null;
        });
    }, delay);
  }

  #notified(n: pg.Notification): void {
    if (n.channel !== LIVE_CHANNEL || !n.payload || this.#closed) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(n.payload);
    } catch {
      return; // not ours
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const { i, t, m } = parsed as { i?: unknown; t?: unknown; m?: unknown };
    if (typeof i !== 'string' || typeof t !== 'string' || i === this.instanceId) return;
    for (const handler of [...(this.#handlers.get(t) ?? [])]) this.#run(handler, m);
  }

  #run(handler: (message: unknown) => void, message: unknown): void {
    try {
      handler(message);
    } catch (error) {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
