/**
 * The PostgreSQL side of a copy: reaching it (errors name the URL without its password), and
 * what the copy does inside its one transaction around the rows — refusing a database that
 * already holds Casebook data, pausing the triggers that would change copied rows, deferring
 * the foreign keys the order cannot satisfy, moving every identity past the copied ids, and
 * reading the rows back for the checksum.
 */
import type pg from 'pg';
import { journalEntries } from '../../migrations-status.js';
import { PG_MIGRATIONS_DIR } from '../client.js';
import { MigrateToPostgresError } from './source.js';
import type { CopyTable, DeferredForeignKey } from './plan.js';

export const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The URL with its password (and any password-like query parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(a URL that cannot be parsed)';
  }
  if (parsed.password) parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) if (/pass|secret|key|token/i.test(key)) parsed.searchParams.set(key, '***');
  return parsed.toString().replace('%2A%2A%2A', '***');
}

/** An error's text without the URL's password, wherever it may appear. */
export function redactMessage(error: unknown, url: string): string {
  const e = error as { message?: string; code?: string; errors?: { message?: string }[] } | null;
  let text = e?.message || e?.errors?.map((inner) => inner.message).join('; ') || e?.code || String(error);
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // no password to hide
  }
  if (password) text = text.split(password).join('***');
  return text.split(url).join(redactUrl(url));
}

export function unreachable(url: string, error: unknown): MigrateToPostgresError {
  return new MigrateToPostgresError('TARGET_UNREACHABLE', `Cannot reach PostgreSQL at ${redactUrl(url)}: ${redactMessage(error, url)}. Fix: check --to (host, port, database, user, password) and that the server accepts connections.`);
}

/** The advisory lock a copy holds for its transaction: two copies into one database never interleave. */
const COPY_LOCK_KEY = '7161677110969495404';

/**
 * Rows the migrations themselves insert (drizzle/pg/0000_init.sql: the problem library's
 * revision row): not Casebook data, and replaced by the source's rows.
 */
export const MIGRATION_ROWS: Record<string, number> = { problem_library_revision: 1 };

/**
 * Triggers that fire on INSERT and would change copied rows, paused for the copy (ALTER TABLE
 * … DISABLE TRIGGER, inside the transaction, enabled again before it commits; it needs only
 * the tables' owner, where session_replication_role needs a superuser). Every other trigger
 * runs as it does for any insert (the append-only ones refuse UPDATE and DELETE only), and
 * the checksums would catch one that changed a copied row.
 */
export const TRIGGERS_OFF_DURING_COPY: readonly { table: string; trigger: string; why: string }[] = [
  { table: 'cases', trigger: 'cases_load_insert', why: 'staff.open_cases is copied as it is: the trigger would count every open assigned case again' },
  { table: 'cases', trigger: 'cases_customer_open_insert', why: 'customers.open_cases is copied as it is: the trigger would count every open case again' },
  {
    table: 'cases',
    trigger: 'cases_change_seq_insert',
    why: 'change_seq is copied as it is: the trigger would renumber every case at commit (and its pending events would refuse the ALTER TABLE that resumes the triggers)',
  },
  { table: 'problems', trigger: 'problems_revision_insert', why: "the problem library's revision row is copied as it is: the trigger would change it" },
  { table: 'case_events', trigger: 'case_events_webhooks', why: 'the outbox is copied as it is: the trigger would queue a webhook delivery again for every past entry' },
];

/** Starts the copy's transaction, one copy at a time per database. */
export async function beginCopy(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  await client.query('SELECT pg_advisory_xact_lock($1)', [COPY_LOCK_KEY]);
}

/** Refuses a database migrated by a newer Casebook than this one (its schema is not the one copied into). */
export async function assertTargetVersion(client: pg.ClientBase, url: string): Promise<void> {
  const newest = journalEntries(PG_MIGRATIONS_DIR).at(-1)?.when ?? 0;
  const { rows } = await client.query<{ at: number | null }>('SELECT max(created_at) AS at FROM drizzle.__drizzle_migrations');
  if (rows[0]?.at !== null && rows[0]?.at !== undefined && Number(rows[0].at) > newest) {
    throw new MigrateToPostgresError('TARGET_NEWER', `${redactUrl(url)} was migrated by a newer Casebook than this one. Fix: copy with that version, or into an empty database.`);
  }
}

/** Refuses a database where any copied table holds a row (beyond the migrations' own). */
export async function assertEmpty(client: pg.ClientBase, tables: readonly CopyTable[], url: string): Promise<void> {
  for (const table of tables) {
    const allowed = MIGRATION_ROWS[table.name] ?? 0;
    const { rows } = await client.query<{ n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${quote(table.name)} LIMIT ${allowed + 1}) AS t`);
    if (Number(rows[0]!.n) > allowed) {
      throw new MigrateToPostgresError(
        'TARGET_NOT_EMPTY',
        `${redactUrl(url)} already holds Casebook data (${table.name} has rows). Fix: copy into a new, empty database (createdb), or drop this one's data first.`,
      );
    }
  }
}

/** Removes the rows the migrations inserted into `table`, which the source's replace. */
export async function clearMigrationRows(client: pg.ClientBase, table: CopyTable): Promise<void> {
  if (MIGRATION_ROWS[table.name] !== undefined) await client.query(`DELETE FROM ${quote(table.name)}`);
}

async function existingTriggers(client: pg.ClientBase): Promise<typeof TRIGGERS_OFF_DURING_COPY> {
  const { rows } = await client.query<{ table: string; trigger: string }>(
    `SELECT c.relname AS table, t.tgname AS trigger FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND c.relnamespace = current_schema()::regnamespace`,
  );
  const found = new Set(rows.map((r) => `${r.table}.${r.trigger}`));
  return TRIGGERS_OFF_DURING_COPY.filter((t) => found.has(`${t.table}.${t.trigger}`));
}

/** Pauses TRIGGERS_OFF_DURING_COPY (those the database has); returns what resumes them. */
export async function pauseTriggers(client: pg.ClientBase): Promise<() => Promise<void>> {
  const paused = await existingTriggers(client);
  for (const t of paused) await client.query(`ALTER TABLE ${quote(t.table)} DISABLE TRIGGER ${quote(t.trigger)}`);
  return async () => {
    for (const t of paused) await client.query(`ALTER TABLE ${quote(t.table)} ENABLE TRIGGER ${quote(t.trigger)}`);
  };
}

/**
 * Makes the foreign keys the copy order cannot satisfy (self-references, cycles) deferred for
 * this transaction; returns what checks them and makes them immediate again, before commit.
 */
export async function deferForeignKeys(client: pg.ClientBase, deferred: readonly DeferredForeignKey[]): Promise<() => Promise<void>> {
  for (const fk of deferred) await client.query(`ALTER TABLE ${quote(fk.table)} ALTER CONSTRAINT ${quote(fk.constraint)} DEFERRABLE INITIALLY DEFERRED`);
  return async () => {
    if (deferred.length === 0) return;
    await client.query(`SET CONSTRAINTS ${deferred.map((fk) => quote(fk.constraint)).join(', ')} IMMEDIATE`);
    for (const fk of deferred) await client.query(`ALTER TABLE ${quote(fk.table)} ALTER CONSTRAINT ${quote(fk.constraint)} NOT DEFERRABLE`);
  };
}

/**
 * Moves every identity past the largest id copied, or past SQLite's AUTOINCREMENT counter
 * when that is higher (ids of deleted rows are never handed out again): the next case after
 * C-1234 is C-1235. An empty table keeps its identity's start (cases: C-1001).
 */
export async function advanceIdentities(client: pg.ClientBase, tables: readonly CopyTable[], sequences: ReadonlyMap<string, number>): Promise<void> {
  const copied = new Set(tables.map((t) => t.name));
  const { rows } = await client.query<{ table: string; column: string }>(
    "SELECT table_name AS table, column_name AS column FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
  );
  for (const { table, column } of rows) {
    if (!copied.has(table)) continue;
    const max = (await client.query<{ max: number | null }>(`SELECT max(${quote(column)}) AS max FROM ${quote(table)}`)).rows[0]?.max;
    const next = Math.max(Number(max ?? 0), sequences.get(table) ?? 0);
    if (next > 0) await client.query('SELECT setval(pg_get_serial_sequence($1, $2), $3)', [quote(table), column, next]);
  }
}

/** Rows of `table` as stored, in primary-key order (text keys by bytes, as SQLite sorts them), `batch` at a time. */
export async function* readBack(client: pg.ClientBase, table: CopyTable, batch: number): AsyncGenerator<unknown[][]> {
  const order = table.primaryKey.map((name) => (table.columns.find((c) => c.name === name)!.text ? `${quote(name)} COLLATE "C"` : quote(name)));
  await client.query(`DECLARE casebook_copy_check NO SCROLL CURSOR FOR SELECT ${table.columns.map((c) => quote(c.name)).join(', ')} FROM ${quote(table.name)} ORDER BY ${order.join(', ')}`);
  try {
    for (;;) {
      const { rows } = await client.query<unknown[]>({ text: `FETCH ${batch} FROM casebook_copy_check`, rowMode: 'array' });
      if (rows.length === 0) return;
      yield rows;
    }
  } finally {
    // After a failure the transaction is aborted and rolled back anyway: the first error is the one to tell.
    await client.query('CLOSE casebook_copy_check').catch(() => undefined);
  }
}
