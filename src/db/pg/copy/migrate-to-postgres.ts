/**
 * `npm run db:migrate-to-postgres`: moves a SQLite installation to PostgreSQL (docs/deploying.md
 * "Moving to PostgreSQL"). The target is migrated first (migratePostgres), then every table
 * is copied parents first, in batches of multi-row INSERTs, inside ONE PostgreSQL transaction,
 * from ONE SQLite read transaction (a consistent snapshot). Before committing, every table is
 * read back and its row count and checksum (checksum.ts: the rows' values as drizzle reads
 * them, in primary-key order) compared with the source's, computed while copying: any
 * difference rolls everything back and names the table. `dryRun` does all of it and rolls back.
 */
import pg from 'pg';
import { PG_TYPES } from '../client.js';
import { migratePostgres } from '../migrate.js';
import { RowHasher, type TableSum } from './checksum.js';
import { convertRow, copyPlan, readPostgresRow, type CopyPlan, type CopyTable } from './plan.js';
import { MigrateToPostgresError, openSource, type Source } from './source.js';
import {
  advanceIdentities,
  assertEmpty,
  assertTargetVersion,
  beginCopy,
  clearMigrationRows,
  deferForeignKeys,
  pauseTriggers,
  quote,
  readBack,
  redactMessage,
  redactUrl,
  unreachable,
} from './target.js';

export { MigrateToPostgresError } from './source.js';

/** PostgreSQL takes at most 65535 parameters per statement. */
const MAX_PARAMETERS = 65_535;
/**
 * Rows per INSERT (fewer for wide tables). Measured (docs/deploying.md): one row per INSERT
 * copies 3–4× slower; from 100 rows on the time is the same, and so is unnest() over arrays.
 */
export const DEFAULT_BATCH_ROWS = 500;
/** Rows per FETCH when reading back. */
const READ_BATCH = 2_000;

export interface TableReport extends TableSum {
  table: string;
}

export interface MigrateToPostgresOptions {
  /** The SQLite database file. */
  from: string;
  /** postgres://… */
  to: string;
  /** Copy and verify, then roll back. */
  dryRun?: boolean;
  batchRows?: number;
  /** Each table once copied and verified (in copy order). */
  onTable?: (report: TableReport) => void;
  /** Test hook: runs on the copy's connection, inside its transaction, after the copy and before the verification. */
  beforeVerify?: (client: pg.ClientBase) => Promise<void>;
  /** The tables to copy (default: Casebook's, copyPlan()). */
  plan?: CopyPlan;
}

export interface MigrateToPostgresResult {
  tables: TableReport[];
  rows: number;
  committed: boolean;
  /** Attachment rows: files the copy does not move (ATTACHMENTS_DIR). */
  attachments: number;
}

export async function migrateToPostgres(options: MigrateToPostgresOptions): Promise<MigrateToPostgresResult> {
  const plan = options.plan ?? copyPlan();
  const source = openSource(options.from, plan.tables);
  try {
    const pool = new pg.Pool({ connectionString: options.to, types: PG_TYPES, max: 1, connectionTimeoutMillis: 10_000 });
    pool.on('error', () => undefined);
    try {
      try {
        (await pool.connect()).release();
      } catch (error) {
        throw unreachable(options.to, error);
      }
      try {
        await migratePostgres(pool);
      } catch (error) {
        throw new MigrateToPostgresError('COPY_FAILED', `Migrating ${redactUrl(options.to)} failed: ${redactMessage(error, options.to)}. Fix: give the user of --to the right to create tables in that database, or use an empty one.`);
      }
      const client = await pool.connect();
      let failed = true;
      try {
        const result = await copyInTransaction(client, source, plan, options);
        failed = false;
        return result;
      } finally {
        client.release(failed);
      }
    } finally {
      await pool.end();
    }
  } finally {
    source.close();
  }
}

async function copyInTransaction(client: pg.PoolClient, source: Source, plan: CopyPlan, options: MigrateToPostgresOptions): Promise<MigrateToPostgresResult> {
  await beginCopy(client);
  try {
    await assertTargetVersion(client, options.to);
    await assertEmpty(client, plan.tables, options.to);
    const resumeTriggers = await pauseTriggers(client);
    const checkForeignKeys = await deferForeignKeys(client, plan.deferred);
    const sums = new Map<string, TableSum>();
    source.begin();
    for (const table of plan.tables) sums.set(table.name, await failing(table, 'copying', options.to, () => copyTable(client, source, table, options.batchRows ?? DEFAULT_BATCH_ROWS)));
    const sequences = source.sequences();
    source.end();
    await advanceIdentities(client, plan.tables, sequences);
    await checkForeignKeys();
    await resumeTriggers();
    await options.beforeVerify?.(client);

    const tables: TableReport[] = [];
    const differences: string[] = [];
    for (const table of plan.tables) {
      const copied = await failing(table, 'verifying', options.to, () => sumTarget(client, table));
      const expected = sums.get(table.name)!;
      if (copied.rows !== expected.rows || copied.checksum !== expected.checksum) {
        differences.push(`${table.name} (source ${expected.rows} rows, ${expected.checksum.slice(0, 12)}; PostgreSQL ${copied.rows} rows, ${copied.checksum.slice(0, 12)})`);
      }
      const report = { table: table.name, ...copied };
      tables.push(report);
      options.onTable?.(report);
    }
    if (differences.length) {
      throw new MigrateToPostgresError('VERIFICATION_FAILED', `The copy differs from the source in ${differences.join('; ')}: nothing was committed. Fix: report it; the SQLite database is untouched.`);
    }
    await client.query(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    const attachments = tables.find((t) => t.table === 'attachments')?.rows ?? 0;
    return { tables, rows: tables.reduce((n, t) => n + t.rows, 0), committed: !options.dryRun, attachments };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof MigrateToPostgresError) throw error;
    // A deferred foreign key found broken, a trigger that could not be paused…
    throw new MigrateToPostgresError('COPY_FAILED', `The copy failed: ${redactMessage(error, options.to)}. Nothing was committed.`);
  }
}

/** Names the table in a PostgreSQL error (a value it refused, a constraint), without the URL's password. */
async function failing<T>(table: CopyTable, doing: string, url: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof MigrateToPostgresError) throw error;
    throw new MigrateToPostgresError('COPY_FAILED', `${doing} ${table.name} failed: ${redactMessage(error, url)}. Nothing was committed.`);
  }
}

/** Copies one table's rows in multi-row INSERTs and returns the source's count and checksum. */
async function copyTable(client: pg.ClientBase, source: Source, table: CopyTable, batchRows: number): Promise<TableSum> {
  await clearMigrationRows(client, table);
  const width = table.columns.length;
  const perBatch = Math.max(1, Math.min(batchRows, Math.floor(MAX_PARAMETERS / width)));
  const head = `INSERT INTO ${quote(table.name)} (${table.columns.map((c) => quote(c.name)).join(', ')}) VALUES `;
  const statement = (rows: number) => head + Array.from({ length: rows }, (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ');
  const full = statement(perBatch);
  const hasher = new RowHasher();
  let params: unknown[] = [];
  let rows = 0;
  for (const raw of source.rows(table)) {
    const row = convertRow(table.columns, raw);
    hasher.add(row.values);
    for (const value of row.params) params.push(value);
    if (++rows === perBatch) {
      // Named: PostgreSQL parses and plans the full batch's statement once per table.
      await client.query({ name: `casebook_copy_${table.name}`, text: full, values: params });
      params = [];
      rows = 0;
    }
  }
  if (rows > 0) await client.query(statement(rows), params);
  return hasher.digest();
}

async function sumTarget(client: pg.ClientBase, table: CopyTable): Promise<TableSum> {
  const hasher = new RowHasher();
  for await (const rows of readBack(client, table, READ_BATCH)) for (const raw of rows) hasher.add(readPostgresRow(table.columns, raw));
  return hasher.digest();
}
