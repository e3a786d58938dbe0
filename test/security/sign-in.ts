/**
 * test/support/pages.ts's `signedIn` and `setPassword` for both databases: they write through
 * `h.db`, which is SQLite's only; these write the same rows through the services' store
 * (after the harness's queued fixtures, on PostgreSQL), so they are awaited.
 */
import { eq } from 'drizzle-orm';
import { hashPassword } from '../../src/auth/password.js';
import { newSessionRow } from '../../src/auth/sessions.js';
import type { Harness } from '../support/harness.js';
import { visitor, type PageClient } from '../support/pages.js';

type Person = { type: 'staff' | 'customer' | 'system'; id: number | null };

/** A client signed in as `actor` (a session row written directly, no password needed). */
export async function signedIn(h: Harness, actor: Person): Promise<PageClient> {
  if (actor.type === 'system' || actor.id === null) throw new Error('pages need a staff member or a customer');
  const { session, row } = newSessionRow({ type: actor.type, id: actor.id }, h.clock.now());
  await h.services.store.write((q) => q.db.insert(q.tables.sessions).values(row));
  const client = visitor(h);
  client.csrf = session.csrfToken;
  client.cookies.set('casebook_session', session.id);
  return client;
}

/** Gives a staff member or customer a password (for sign-in tests). */
export async function setPassword(h: Harness, actor: Person, password: string): Promise<void> {
  if (actor.type === 'system' || actor.id === null) throw new Error('only staff and customers have passwords');
  const passwordHash = await hashPassword(password);
  const id = actor.id;
  if (actor.type === 'staff') await h.services.store.write((q) => q.db.update(q.tables.staff).set({ passwordHash }).where(eq(q.tables.staff.id, id)));
  else await h.services.store.write((q) => q.db.update(q.tables.customers).set({ passwordHash }).where(eq(q.tables.customers.id, id)));
}
