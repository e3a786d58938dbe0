/**
 * What is wrong with the database beyond one failed statement, kept per connection:
 *
 * - **storage full**: a write failed with SQLITE_FULL (or a file write with ENOSPC/EDQUOT).
 *   Writes answer 503 `STORAGE_FULL` until one succeeds again; nothing else changes, so the
 *   server recovers by itself as soon as space is freed. Listeners (the checkpointer) hear
 *   of it, to give the WAL's space back as soon as they can.
 * - **writes refused**: the database file was deleted or replaced under the running server
 *   (`DATABASE_GONE`, file-watch.ts), or its pages were found corrupted (`DATABASE_UNAVAILABLE`,
 *   integrity.ts). The connection is switched to `query_only`, so no write of any kind (the
 *   outbox's bookkeeping included) lands in an unlinked or damaged file; reads go on.
 *
 * - **WAL to be emptied**: something written must leave no old page image in the WAL (an
 *   erasure), but the truncating checkpoint after it found the WAL in use. The checkpointer
 *   truncates it as soon as it can (`wantWalTruncated`).
 *
 * `transaction()` (client.ts) refuses to begin while writes are refused and notes storage
 * full / recovered around every command; `GET /health` reports both.
 */
import type Database from 'better-sqlite3';
import { DomainError } from '../errors.js';
import { isStorageFullCode } from './store/errors.js';

type Sqlite = Database.Database;

export interface WriteRefusal {
  code: 'DATABASE_GONE' | 'DATABASE_UNAVAILABLE';
  /** One sentence naming the file and what happened, without the full stop ("The database file … was deleted …"). */
  reason: string;
  since: number;
}

type Listener = () => void;

export class DatabaseFaults {
  refusal: WriteRefusal | null = null;
  /** A write failed for lack of space, and none has succeeded since. */
  storageIsFull = false;
  readonly #sqlite: Sqlite;
  readonly #full = new Set<Listener>();
  readonly #recovered = new Set<Listener>();
  readonly #checks = new Set<Listener>();
  readonly #truncate = new Set<Listener>();

  constructor(sqlite: Sqlite) {
    this.#sqlite = sqlite;
  }

  /** The database file's path as SQLite opened it. */
  get file(): string {
    return this.#sqlite.name;
  }

  refuseWrites(refusal: WriteRefusal): void {
    this.refusal = refusal;
    if (this.#sqlite.open) this.#sqlite.pragma('query_only = 1');
  }

  allowWrites(): void {
    this.refusal = null;
    if (this.#sqlite.open) this.#sqlite.pragma('query_only = 0');
  }

  /** The error a write gets while writes are refused, or null. */
  refusalError(): DomainError | null {
    if (!this.refusal) return null;
    return new DomainError(this.refusal.code, `Nothing was saved. ${this.refusal.reason}.`);
  }

  storageFull(): void {
    if (this.storageIsFull) return;
    this.storageIsFull = true;
    for (const listener of this.#full) listener();
  }

  writeSucceeded(): void {
    if (!this.storageIsFull) return;
    this.storageIsFull = false;
    for (const listener of this.#recovered) listener();
  }

  onStorageFull(listener: Listener): () => void {
    this.#full.add(listener);
    return () => this.#full.delete(listener);
  }

  onStorageRecovered(listener: Listener): () => void {
    this.#recovered.add(listener);
    return () => this.#recovered.delete(listener);
  }

  /**
   * The WAL must be truncated (emptied) as soon as a checkpoint can: the routine resets only
   * start it over, leaving older frames in the file. False when no one listens (no checkpointer).
   */
  wantWalTruncated(): boolean {
    for (const listener of this.#truncate) listener();
    return this.#truncate.size > 0;
  }

  /** Whether someone (the checkpointer) truncates the WAL later when asked (`wantWalTruncated`). */
  get walTruncatedLater(): boolean {
    return this.#truncate.size > 0;
  }

  onWalTruncateWanted(listener: Listener): () => void {
    this.#truncate.add(listener);
    return () => this.#truncate.delete(listener);
  }

  /** A check `GET /health` runs before reporting (the file watcher's). */
  addCheck(check: Listener): () => void {
    this.#checks.add(check);
    return () => this.#checks.delete(check);
  }

  runChecks(): void {
    for (const check of this.#checks) check();
  }
}

const faults = new WeakMap<Sqlite, DatabaseFaults>();

export function faultsOf(sqlite: Sqlite): DatabaseFaults {
  let found = faults.get(sqlite);
  if (!found) {
    found = new DatabaseFaults(sqlite);
    faults.set(sqlite, found);
  }
  return found;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** SQLite could not grow a file (SQLITE_FULL, also `max_page_count`), or a file write found no space. */
export function isStorageFull(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && isStorageFullCode(code);
}
