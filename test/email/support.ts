/** Shared set-up for the email channel tests: a harness with the channel configured, fixtures, posting raw mail. */
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { hashPassword } from '../../src/auth/password.js';
import { newSessionRow } from '../../src/auth/sessions.js';
import { openDatabase } from '../../src/db/client.js';
import type { caseEvents } from '../../src/db/schema/index.js';
import type { Handle } from '../../src/db/store/index.js';
import { openStore } from '../../src/db/store/open.js';
import { defaultEmailSettings, type EmailSettings } from '../../src/channels/email/settings.js';
import type { ServiceOptions } from '../../src/services.js';
import { ADMIN_TOKEN, createHarness, ROOT, standardQueues, tempDir, type Harness } from '../support/harness.js';
import { createTestDatabase, ON_POSTGRES } from '../support/harness-postgres.js';
import { visitor, type PageClient } from '../support/pages.js';

export const FIXTURES = path.join(ROOT, 'test/fixtures/email');
export const EMAIL_SECRET = 'email-secret-for-tests-0123456789';

export function emailHarness(settings: Partial<EmailSettings> = {}, services: ServiceOptions = {}): Harness {
  const h = createHarness({ services: { ...services, email: defaultEmailSettings({ supportAddress: 'support@example.com', secret: EMAIL_SECRET, ...settings }) } });
  standardQueues(h);
  return h;
}

/** A fixture's bytes, with `{{KEY}}` placeholders replaced. */
export function fixture(name: string, vars: Record<string, string> = {}): Buffer {
  let raw = fs.readFileSync(path.join(FIXTURES, name));
  for (const [key, value] of Object.entries(vars)) raw = Buffer.from(raw.toString('latin1').split(`{{${key}}}`).join(value), 'latin1');
  return raw;
}

export interface Posted {
  status: number;
  body: { result: string; case: string | null; reason: string | null };
}

export async function postMail(h: Harness, raw: Buffer | string, token = ADMIN_TOKEN, contentType = 'message/rfc822'): Promise<Posted> {
  const res = await h.app.request('/api/v1/inbound/email', {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
    body: typeof raw === 'string' ? raw : new Uint8Array(raw),
  });
  return { status: res.status, body: (await res.json()) as Posted['body'] };
}

/**
 * A page client signed in as `actor`, on either database (test/support/pages.ts's `signedIn`
 * writes the session into the SQLite file, which PostgreSQL's harness has not). Synchronous like
 * it: the session row is written through the store, after the fixtures queued so far, and the
 * client's first request waits for it.
 */
export function signedIn(h: Harness, actor: { type: 'staff' | 'customer' | 'system'; id: number | null }): PageClient {
  if (actor.type === 'system' || actor.id === null) throw new Error('pages need a staff member or a customer');
  const { session, row } = newSessionRow({ type: actor.type, id: actor.id }, h.clock.now());
  const ready = h.services.store.write((q) => q.db.insert(q.tables.sessions).values(row));
  ready.catch(() => undefined); // the first request rethrows it
  const c: PageClient = visitor(h);
  c.csrf = session.csrfToken;
  c.cookies.set('casebook_session', session.id);
  const { get, post, upload } = c;
  c.get = async (...args) => {
    await ready;
    return get(...args);
  };
  c.post = async (...args) => {
    await ready;
    return post(...args);
  };
  c.upload = async (...args) => {
    await ready;
    return upload(...args);
  };
  return c;
}

/** Gives a staff member or customer a password (for sign-in tests), on either database. */
export async function setPassword(h: Harness, actor: { type: 'staff' | 'customer' | 'system'; id: number | null }, password: string): Promise<void> {
  if (actor.type === 'system' || actor.id === null) throw new Error('only staff and customers have passwords');
  const passwordHash = await hashPassword(password);
  const id = actor.id;
  await h.services.store.write(async (q) => {
    if (actor.type === 'staff') await q.db.update(q.tables.staff).set({ passwordHash }).where(eq(q.tables.staff.id, id));
    else await q.db.update(q.tables.customers).set({ passwordHash }).where(eq(q.tables.customers.id, id));
  });
}

/** A case's timeline entries in the order they were written, of one type if given (on either database). */
export async function eventsOf(h: Harness, caseId: number, type?: string): Promise<(typeof caseEvents.$inferSelect)[]> {
  const rows = await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, caseId)).orderBy(q.tables.caseEvents.id));
  return type === undefined ? rows : rows.filter((e) => e.type === type);
}

/** Where a real server (test/support/server.ts) of this project keeps its data. */
export interface ServerDatabase {
  /** DATABASE_PATH (on PostgreSQL it only places the attachments folder). */
  databasePath: string;
  /** DATABASE_URL on PostgreSQL: a copy of the run's migrated template. */
  databaseUrl?: string;
  /** `fn` on the database through a store of its own (the server stopped, on SQLite). */
  query<T>(fn: (q: Handle) => Promise<T>): Promise<T>;
  /** Drops the PostgreSQL database (the SQLite file goes with its temp folder). */
  drop(): Promise<void>;
}

/**
 * A database for a real server on the project's database, migrated and holding `queues`
 * (id → tier): a SQLite file, or on PostgreSQL a copy of the run's migrated template. The
 * server seeds the definitions at start-up on either.
 */
export async function serverDatabase(queues: Record<string, number> = {}): Promise<ServerDatabase> {
  const databasePath = path.join(tempDir(), 'casebook.db');
  const rows = Object.entries(queues).map(([id, tier]) => ({ id, name: id, tier, createdAt: Date.now() }));
  const seed = async (q: Handle): Promise<void> => {
    if (rows.length > 0) await q.db.insert(q.tables.queues).values(rows);
  };
  if (!ON_POSTGRES) {
    const onFile = async <T>(fn: (q: Handle) => Promise<T>): Promise<T> => {
      const db = openDatabase(databasePath);
      try {
        return await openStore({ sqlite: db }).query(fn);
      } finally {
        db.$client.close();
      }
    };
    await onFile(seed);
    return { databasePath, query: onFile, drop: () => Promise.resolve() };
  }
  const database = createTestDatabase();
  await database.created;
  const onDatabase = async <T>(fn: (q: Handle) => Promise<T>): Promise<T> => {
    const store = openStore({ postgresUrl: database.url, max: 1 });
    try {
      return await store.query(fn);
    } finally {
      await store.close();
    }
  };
  await onDatabase(seed);
  return { databasePath, databaseUrl: database.url, query: onDatabase, drop: () => database.release() };
}

/** The database refuses new cases (a full disk, say) until acceptCases(): a trigger, in the dialect's SQL. */
export async function refuseCases(h: Harness): Promise<void> {
  if (h.dialect === 'sqlite') {
    await h.run("CREATE TRIGGER refuse_cases BEFORE INSERT ON cases BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    return;
  }
  await h.run("CREATE FUNCTION refuse_cases() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'database or disk is full'; END $$");
  await h.run('CREATE TRIGGER refuse_cases BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION refuse_cases()');
}

export async function acceptCases(h: Harness): Promise<void> {
  if (h.dialect === 'sqlite') await h.run('DROP TRIGGER refuse_cases');
  else await h.run('DROP TRIGGER refuse_cases ON cases');
}
