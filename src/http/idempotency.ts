/**
 * The `Idempotency-Key` request header (IETF draft "The Idempotency-Key HTTP Header Field")
 * on `POST /api/v1/cases` and `POST /api/v1/cases/:id/messages`: a client that retries a
 * request (after a timeout, a reset connection, a restart) with the same key gets the answer
 * of the first one instead of a second case or message.
 *
 * - The key is an sf-string (`Idempotency-Key: "4f1c…"`); a bare token is accepted too.
 *   1–255 printable ASCII characters; anything else is 400 `IDEMPOTENCY_KEY_INVALID`.
 * - Keys are scoped per principal (staff member, customer, the ADMIN_TOKEN) and kept 24 h.
 * - The first request's entry is written in the transaction that creates the case or the
 *   message (`record`, store.ts); its answer is stored just after.
 * - Same key, same method, path and body: the stored answer again, with
 *   `Idempotent-Replayed: true` (if the process died between the commit and storing the
 *   answer, the answer is rebuilt from what the request created).
 * - Same key, another path or body: 422 `IDEMPOTENCY_KEY_REUSED`.
 * - Same key while the first request is still being worked on: 409 `IDEMPOTENCY_IN_PROGRESS`
 *   with `Retry-After: 1`.
 * - A request that failed stored nothing (its transaction rolled back): a retry runs again.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { DomainError } from '../errors.js';
import { findKey, keyReused, recordKey, sameRequest, storeAnswer, type KeyEntry, type RequestFingerprint } from '../idempotency/store.js';
import type { Handle } from '../db/store/index.js';
import type { AppEnv, Principal } from './types.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** Keys being worked on in this process, with their fingerprints (another process's are caught by the table). */
export type KeysInFlight = Map<string, RequestFingerprint>;

/** After the commit the answer is stored for replays; if that fails (a full disk), a retry rebuilds it. */
async function tryStoreAnswer(c: Context<AppEnv>, principal: string, key: string, answer: { body: string; location: string | null }): Promise<void> {
  const services = c.get('services');
  try {
    await services.store.query((q) => storeAnswer(q, principal, key, answer));
  } catch (error) {
    services.logger.warn('the answer to an Idempotency-Key request could not be stored; a retry rebuilds it', { requestId: c.get('requestId'), error: (error as Error).message });
  }
}

/** What a command records inside its transaction (on its handle): the case (and message event) it created. */
export type RecordKey = (q: Handle, created: { caseId: number; eventId?: number | null }) => Promise<void>;

export function parseIdempotencyKey(raw: string): string {
  let key = raw.trim();
  if (key.startsWith('"')) {
    const match = /^"((?:[^"\\]|\\["\\])*)"$/.exec(key);
    if (!match) throw invalidKey();
    key = match[1]!.replace(/\\(["\\])/g, '$1');
  }
  if (key.length < 1 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key)) throw invalidKey();
  return key;
}

function invalidKey(): DomainError {
  return new DomainError('IDEMPOTENCY_KEY_INVALID', 'The Idempotency-Key header must be a string of 1 to 255 printable ASCII characters, e.g. Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324".');
}

export function principalKey(principal: Principal): string {
  if (principal.actor.type === 'staff') return `staff:${principal.actor.id}`;
  if (principal.actor.type === 'customer') return `customer:${principal.actor.id}`;
  return 'admin-token';
}

function replay(c: Context<AppEnv>, entry: KeyEntry, body: string): Response {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' };
  if (entry.location) headers.Location = entry.location;
  return c.body(body, entry.status as 201, headers);
}

/**
 * Runs `handle` at most once per key: with no header, just runs it. `handle` passes `record`
 * to the command, which calls it inside its transaction; `rebuild` answers a retry whose first
 * request committed but whose answer was never stored.
 */
/**
 * The SHA-256 of what the request says, read from a clone (the route reads the body itself).
 * A multipart form is hashed by its content — each field's name and value, each file's name,
 * type and bytes — not by its bytes on the wire: a client's retry picks a new boundary.
 */
async function bodyHash(raw: Request): Promise<string> {
  const hash = createHash('sha256');
  const form = (raw.headers.get('Content-Type') ?? '').toLowerCase().startsWith('multipart/form-data') ? await raw.clone().formData().catch(() => null) : null;
  if (form) {
    // (A form that does not parse is hashed by its bytes; the route then refuses it.)
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') hash.update(`field\0${name}\0${value}\0`);
      else hash.update(`file\0${name}\0${value.name}\0${value.type}\0`).update(Buffer.from(await value.arrayBuffer())).update('\0');
    }
  } else {
    hash.update(Buffer.from(await raw.clone().arrayBuffer()));
  }
  return hash.digest('hex');
}

export async function withIdempotency(
  c: Context<AppEnv>,
  handle: (record: RecordKey | undefined) => Promise<Response>,
  rebuild: (entry: KeyEntry) => Response | Promise<Response>,
): Promise<Response> {
  const header = c.req.header(IDEMPOTENCY_HEADER);
  if (header === undefined) return handle(undefined);
  const key = parseIdempotencyKey(header);
  const services = c.get('services');
  const principal = principalKey(c.get('principal')!);
  const request: RequestFingerprint = {
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    bodyHash: await bodyHash(c.req.raw),
  };
  const inFlight = c.get('idempotencyKeys');
  const slot = `${principal}\n${key}`;

  const existing = await services.store.query((q) => findKey(q, principal, key, services.clock.now()));
  if (existing) {
    if (!sameRequest(existing, request)) throw keyReused();
    if (existing.response !== null) return replay(c, existing, existing.response);
    if (inFlight.has(slot)) throw inProgress();
    const rebuilt = await rebuild(existing);
    const body = await rebuilt.clone().text();
    await tryStoreAnswer(c, principal, key, { body, location: existing.location ?? rebuilt.headers.get('Location') });
    return replay(c, { ...existing, location: existing.location ?? rebuilt.headers.get('Location') }, body);
  }
  const running = inFlight.get(slot);
  if (running) throw sameRequest(running, request) ? inProgress() : keyReused();

  inFlight.set(slot, request);
  try {
    let recorded = false;
    const response = await handle(async (q, created) => {
      await recordKey(q, { principal, key, request, status: 201, caseId: created.caseId, eventId: created.eventId ?? null, at: services.clock.now() });
      recorded = true;
    });
    if (recorded) await tryStoreAnswer(c, principal, key, { body: await response.clone().text(), location: response.headers.get('Location') });
    return response;
  } finally {
    inFlight.delete(slot);
  }
}

function inProgress(): DomainError {
  return new DomainError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being worked on; retry in a moment to get its answer.');
}
