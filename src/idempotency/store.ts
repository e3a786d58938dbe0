/**
 * `Idempotency-Key` entries: what a request with a key created, and the answer it got.
 *
 * An entry is written by `recordKey` inside the transaction of the command it belongs to
 * (intake, a message), so the case and the entry commit together or not at all. The answer
 * is added by `storeAnswer` just after the commit, once it is built (it shows the case after
 * its follow-up work). A retry finds the entry with `findKey`; an entry older than
 * `KEY_TTL_MS` counts as absent and is purged by a scheduled job (`purgeKeys`).
 *
 * On the storage port, the same SQL on both dialects (src/db/store/rows.ts: SQLite's cached
 * statements, as before, on every API POST with a key; the same text bound on PostgreSQL).
 */
import type { Handle } from '../db/store/index.js';
import { isUniqueViolation } from '../db/store/index.js';
import { get, run } from '../db/store/rows.js';
import { DomainError } from '../errors.js';

/** How long a key is remembered (the IETF draft leaves the expiry to the server; we publish 24 h). */
export const KEY_TTL_MS = 24 * 60 * 60 * 1000;

export interface RequestFingerprint {
  method: string;
  path: string;
  /** SHA-256 of the body, hex. */
  bodyHash: string;
}

export interface KeyEntry extends RequestFingerprint {
  principal: string;
  key: string;
  status: number;
  caseId: number | null;
  eventId: number | null;
  response: string | null;
  location: string | null;
  createdAt: number;
}

interface KeyRow {
  principal: string;
  key: string;
  method: string;
  path: string;
  body_hash: string;
  status: number;
  case_id: number | null;
  event_id: number | null;
  response: string | null;
  location: string | null;
  created_at: number;
}

function fromRow(row: KeyRow): KeyEntry {
  return {
    principal: row.principal,
    key: row.key,
    method: row.method,
    path: row.path,
    bodyHash: row.body_hash,
    status: row.status,
    caseId: row.case_id,
    eventId: row.event_id,
    response: row.response,
    location: row.location,
    createdAt: row.created_at,
  };
}

/** The live (not expired) entry for this principal's key, or null. */
export async function findKey(q: Handle, principal: string, key: string, now: number): Promise<KeyEntry | null> {
  const row = await get<KeyRow>(q, 'SELECT * FROM idempotency_keys WHERE principal = ? AND key = ? AND created_at > ?', [principal, key, now - KEY_TTL_MS]);
  return row ? fromRow(row) : null;
}

export function sameRequest(entry: RequestFingerprint, request: RequestFingerprint): boolean {
  return entry.method === request.method && entry.path === request.path && entry.bodyHash === request.bodyHash;
}

export interface NewKey {
  principal: string;
  key: string;
  request: RequestFingerprint;
  status: number;
  caseId: number;
  eventId?: number | null;
  at: number;
}

/**
 * Inside the command's transaction: records the key. Another request with the same key that
 * committed first (another process, or one that finished meanwhile) makes this one fail with
 * `IDEMPOTENCY_IN_PROGRESS` and roll back, so a key never creates two cases.
 */
export async function recordKey(q: Handle, entry: NewKey): Promise<void> {
  const existing = await findKey(q, entry.principal, entry.key, entry.at);
  if (existing) {
    if (!sameRequest(existing, entry.request)) throw keyReused();
    throw justCompleted();
  }
  // An expired entry for the same key may still be there (the purge runs hourly).
  await run(q, 'DELETE FROM idempotency_keys WHERE principal = ? AND key = ?', [entry.principal, entry.key]);
  try {
    await run(q, 'INSERT INTO idempotency_keys (principal, key, method, path, body_hash, status, case_id, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      entry.principal,
      entry.key,
      entry.request.method,
      entry.request.path,
      entry.request.bodyHash,
      entry.status,
      entry.caseId,
      entry.eventId ?? null,
      entry.at,
    ]);
  } catch (error) {
    // PostgreSQL: another instance's transaction inserted the key meanwhile and committed (its insert waited for it).
    if (isUniqueViolation(error)) throw justCompleted();
    throw error;
  }
}

function justCompleted(): DomainError {
  return new DomainError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key was just completed; retry to get its answer.');
}

/** After the commit: the answer as sent, for replays. */
export async function storeAnswer(q: Handle, principal: string, key: string, answer: { body: string; location: string | null }): Promise<void> {
  await run(q, 'UPDATE idempotency_keys SET response = ?, location = ? WHERE principal = ? AND key = ?', [answer.body, answer.location, principal, key]);
}

/** Removes entries older than the TTL; returns how many. */
export function purgeKeys(q: Handle, now: number): Promise<number> {
  return run(q, 'DELETE FROM idempotency_keys WHERE created_at <= ?', [now - KEY_TTL_MS]);
}

export function keyReused(): DomainError {
  return new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request (another path or body). Use a new key for a new request.');
}
