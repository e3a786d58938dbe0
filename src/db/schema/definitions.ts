import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const DEFINITION_KINDS = ['workflow', 'ruleset', 'sla'] as const;
export type DefinitionKind = (typeof DEFINITION_KINDS)[number];

export const DEFINITION_STATES = ['draft', 'published'] as const;
export type DefinitionState = (typeof DEFINITION_STATES)[number];

/** The audit record of a publish over failing examples. */
export interface ExamplesOverride {
  note: string;
  /** The examples that failed, each with what differed ("queue: expected billing, got general"). */
  failed: { name: string; differences: string[] }[];
}

/**
 * Every version of every definition. The newest `published` version of a (kind, name)
 * is the one in force; drafts wait for publishing; a rollback publishes a copy of an
 * older body as a new version. Cases remember the versions they used.
 */
export const definitionVersions = sqliteTable(
  'definition_versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: DEFINITION_KINDS }).notNull(),
    name: text('name').notNull(),
    version: integer('version').notNull(),
    state: text('state', { enum: DEFINITION_STATES }).notNull(),
    body: text('body', { mode: 'json' }).$type<unknown>().notNull(),
    note: text('note').notNull().default(''),
    authorId: integer('author_id'),
    author: text('author').notNull().default('system'),
    /** For rollbacks: the version whose body this one copies. */
    basedOn: integer('based_on'),
    createdAt: integer('created_at').notNull(),
    publishedAt: integer('published_at'),
    /**
     * Rulesets published while some of their examples failed: the note of whoever overrode
     * them and what failed (null when every example passed, or for other kinds).
     */
    examplesOverride: text('examples_override', { mode: 'json' }).$type<ExamplesOverride>(),
  },
  (t) => [
    uniqueIndex('definition_versions_kind_name_version_idx').on(t.kind, t.name, t.version),
    index('definition_versions_published_idx').on(t.kind, t.name, t.version).where(sql`${t.state} = 'published'`),
  ],
);

/** Known problems and their solutions; searched with FTS5 (`problems_fts`, see migrations). */
export const problems = sqliteTable('problems', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  title: text('title').notNull(),
  symptoms: text('symptoms').notNull(),
  solution: text('solution').notNull(),
  /** Other ways customers say it ("billed 2 times", "locked out of my account"): searched like the symptoms. */
  synonyms: text('synonyms').notNull().default(''),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * One row (id 1) whose `revision` triggers set to a new random value whenever `problems`
 * changes (see the migration): the in-memory search index of the library
 * (src/diagnosis/problem-index.ts) is rebuilt when it differs from the one it was built at.
 */
export const problemLibraryRevision = sqliteTable('problem_library_revision', {
  id: integer('id').primaryKey(),
  revision: integer('revision').notNull(),
});
