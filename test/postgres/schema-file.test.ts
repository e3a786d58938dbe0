/**
 * src/db/pg/schema.ts is generated from the SQLite schema (scripts/gen-pg-schema.ts): it must
 * be what the generator writes now (a change to src/db/schema without `npm run db:pg-schema`
 * fails here), name the same tables under the same export names, and give command code the
 * same row types (checked by tsc below) — test/postgres/schema.test.ts checks the database.
 */
import fs from 'node:fs';
import { is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { type AnySQLiteColumn, blob, index, integer, real, SQLiteTable, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { PG_SCHEMA_FILE, renderPgSchema } from '../../scripts/gen-pg-schema.js';
import * as pgSchema from '../../src/db/pg/schema.js';
import * as sqliteSchema from '../../src/db/schema/index.js';

// The row types are the same on both dialects, for reading and for inserting (tsc checks this).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type PgTables = typeof pgSchema;
type SqliteExports = typeof sqliteSchema;
type SameRows = {
  [K in keyof PgTables]: K extends keyof SqliteExports
    ? SqliteExports[K] extends { $inferSelect: unknown; $inferInsert: unknown }
      ? [Equal<PgTables[K]['$inferSelect'], SqliteExports[K]['$inferSelect']>, Equal<PgTables[K]['$inferInsert'], SqliteExports[K]['$inferInsert']>]
      : [false, false]
    : [false, false];
};
export const rowTypesMatch: Record<keyof PgTables, [true, true]> = null as unknown as SameRows;

describe('src/db/pg/schema.ts', () => {
  it('is what scripts/gen-pg-schema.ts generates from src/db/schema now (run `npm run db:pg-schema`)', async () => {
    expect(fs.readFileSync(PG_SCHEMA_FILE, 'utf8')).toBe(await renderPgSchema());
  });

  it('has every SQLite table under the same export name and table name, and nothing else', () => {
    const sqliteTables = Object.entries(sqliteSchema).filter(([, v]) => is(v, SQLiteTable)) as [string, SQLiteTable][];
    const pgTables = Object.entries(pgSchema).filter(([, v]) => is(v, PgTable)) as [string, PgTable][];
    expect(Object.keys(pgSchema).sort()).toEqual(pgTables.map(([k]) => k).sort());
    const nameOf = (t: SQLiteTable | PgTable) => (t as unknown as Record<symbol, string>)[Symbol.for('drizzle:Name')];
    expect(new Map(pgTables.map(([k, t]) => [k, nameOf(t)]))).toEqual(new Map(sqliteTables.map(([k, t]) => [k, nameOf(t)])));
    expect(sqliteTables.length).toBeGreaterThanOrEqual(45);
  });
});

describe('scripts/gen-pg-schema.ts', () => {
  const things = sqliteTable(
    'things',
    {
      id: integer('id').primaryKey({ autoIncrement: true }),
      parentId: integer('parent_id').references((): AnySQLiteColumn => things.id, { onDelete: 'cascade' }),
      at: integer('at').notNull(),
      seenAt: integer('seen_at', { mode: 'timestamp_ms' }),
      day: integer('day', { mode: 'timestamp' }).notNull(),
      done: integer('done', { mode: 'boolean' }).notNull().default(false),
      kind: text('kind', { enum: ['a', 'b'] }).notNull().default('a'),
      meta: text('meta', { mode: 'json' }).$type<{ x: number }>(),
      score: real('score').notNull().default(0.5),
      token: text('token').$defaultFn(() => 'made in JS'),
    },
    (t) => [index('things_at_idx').on(t.at).where(sql`${t.seenAt} IS NOT NULL AND ${t.kind} = 'a'`)],
  );

  it('maps each SQLite column type to the PostgreSQL type that gives the same JS value', async () => {
    const text = await renderPgSchema([{ module: 'things', tables: [{ exportName: 'things', table: things }] }]);
    expect(text).toContain(`id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),`);
    expect(text).toContain(`parentId: bigint('parent_id', { mode: 'number' }).references((): AnyPgColumn => things.id, { onDelete: 'cascade' }),`);
    expect(text).toContain(`at: bigint('at', { mode: 'number' }).notNull(),`);
    expect(text).toContain(`seenAt: timestamp('seen_at', { withTimezone: true, precision: 3, mode: 'date' }),`);
    expect(text).toContain(`day: timestamp('day', { withTimezone: true, precision: 0, mode: 'date' }).notNull(),`);
    expect(text).toContain(`done: boolean('done').notNull().default(false),`);
    expect(text).toContain(`kind: text('kind', { enum: ['a', 'b'] }).notNull().default('a'),`);
    expect(text).toContain(`meta: jsonb('meta').$type<Data<typeof s.things.meta>>(),`);
    expect(text).toContain(`score: doublePrecision('score').notNull().default(0.5),`);
    expect(text).toContain(`token: text('token').$defaultFn(() => s.things.token.defaultFn!()),`);
    expect(text).toContain(`index('things_at_idx').on(t.at).where(sql\`\${t.seenAt} IS NOT NULL AND \${t.kind} = 'a'\`),`);
    expect(text).toContain(`import { type AnyPgColumn, bigint, boolean, doublePrecision, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';`);
    expect(text).toContain(`import * as s from '../schema/index.js';`); // the JS default is the SQLite column's own
  });

  it('refuses what it cannot carry over, naming the column and where to add it', async () => {
    const blobs = sqliteTable('blobs', { id: integer('id').primaryKey(), bytes: blob('bytes', { mode: 'buffer' }) });
    await expect(renderPgSchema([{ module: 'blobs', tables: [{ exportName: 'blobs', table: blobs }] }])).rejects.toThrow(
      'blobs.bytes: no PostgreSQL type for SQLiteBlobBuffer yet; add one to scripts/gen-pg-schema.ts',
    );
  });
});
