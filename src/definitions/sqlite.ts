/**
 * The registry's synchronous look at a SQLite database (registry.ts): on SQLite the
 * connection is in this process, so the registry can follow what other processes publish
 * (`npm run rules:import` beside a running server) and what a transaction on this connection
 * has published but not committed, at the moment of a lookup, as it always has. PostgreSQL
 * has no such look: there the registry is refreshed through the store (registry.ts).
 */
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import { groupTransaction } from '../db/group-commit.js';
import { definitionVersions } from '../db/schema/index.js';
import type { DefinitionVersionRow } from './version-rows.js';

export interface SqliteDefinitionSource {
  /** Changes when another connection has committed (`PRAGMA data_version`). */
  dataVersion(): number;
  /**
   * The write transaction of group commit open on this connection now (0: none): no other
   * connection commits while it lasts, so `dataVersion` need be asked once in it.
   */
  writeTransaction(): number;
  inTransaction(): boolean;
  /** A cheap fingerprint of the table as this connection sees it (new or rolled-back rows change it). */
  fingerprint(): string;
  rows(): DefinitionVersionRow[];
}

export function sqliteDefinitionSource(db: Db): SqliteDefinitionSource {
  const dataVersion = statement<[], { data_version: number }>(db, 'PRAGMA data_version');
  const sqlite = db.$client;
  const probe = statement<[], { top: number | null; n: number }>(db, 'SELECT max(id) AS top, count(*) AS n FROM definition_versions');
  return {
    dataVersion: () => dataVersion.get()!.data_version,
    writeTransaction: () => groupTransaction(sqlite),
    inTransaction: () => sqlite.inTransaction,
    fingerprint: () => {
      const { top, n } = probe.get()!;
      return `${top ?? 0}/${n}`;
    },
    rows: () => db.select().from(definitionVersions).all(),
  };
}
