/**
 * Keys Casebook makes for itself: random, created on first use, kept in `server_secrets` so
 * every process on the database and every restart use the same one. Never shown anywhere.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import type { Handle } from '../db/store/index.js';
import { randomToken } from './tokens.js';

/** The secret called `name`, created (race-free: the first insert wins) if there is none yet. */
export function serverSecret(db: Db, name: string, now: number): string {
  const read = statement<[string], { value: string }>(db, 'SELECT value FROM server_secrets WHERE name = ?');
  const existing = read.get(name);
  if (existing) return existing.value;
  statement<[string, string, number]>(db, 'INSERT OR IGNORE INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)').run(name, randomToken(), now);
  return read.get(name)!.value;
}

/** `serverSecret` through a handle (each statement by itself is enough: the first insert wins). */
export async function serverSecretIn(q: Handle, name: string, now: number): Promise<string> {
  const t = q.tables.serverSecrets;
  const read = async () => (await q.db.select({ value: t.value }).from(t).where(eq(t.name, name)).limit(1))[0];
  const existing = await read();
  if (existing) return existing.value;
  await q.db.insert(t).values({ name, value: randomToken(), createdAt: now }).onConflictDoNothing({ target: t.name });
  return (await read())!.value;
}
