/**
 * WAL write joining: native/wal-coalesce.c, loaded into SQLite as an extension, becomes the
 * process's default VFS, so a commit's WAL frames reach the file in one write instead of two per
 * page (the header, then the page). A lone intake commits ~27 pages: 54 pwrite calls, 140 µs of
 * its 225 µs commit on the machines of docs/performance.md. What it keeps unchanged (the order
 * of writes, syncs, what other connections and a crash see) is written in the C file.
 *
 * SQLite's VFS list is the process's: loading it once, before the first connection opens, serves
 * every later connection, the worker threads' too. Connections opened earlier keep the plain
 * VFS; both write the same files the same way, only in more calls.
 *
 * `CASEBOOK_WAL_JOINING=off` leaves it unloaded (to compare, or to rule it out). The library is
 * compiled by `npm install`/`npm start`/`npm test` (scripts/build-native.mjs); without a C
 * compiler it is absent, and Casebook runs without it.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { REPO_ROOT } from '../repo-root.js';

export const WAL_JOINING_LIBRARY = path.join(REPO_ROOT, 'native', 'build', process.platform === 'darwin' ? 'casebook_wal.dylib' : 'casebook_wal.so');

export type WalJoining = { on: true } | { on: false; reason: string };

let state: WalJoining | undefined;

/** Loads the library once per process (later calls answer the first's outcome); never throws. */
export function useWalJoining(): WalJoining {
  if (state) return state;
  if (process.env.CASEBOOK_WAL_JOINING === 'off') return (state = { on: false, reason: 'CASEBOOK_WAL_JOINING=off' });
  if (!fs.existsSync(WAL_JOINING_LIBRARY)) return (state = { on: false, reason: `${path.relative(REPO_ROOT, WAL_JOINING_LIBRARY)} is not built (no C compiler at npm install?)` });
  const loader = new Database(':memory:');
  try {
    loader.loadExtension(WAL_JOINING_LIBRARY);
    state = { on: true };
  } catch (error) {
    state = { on: false, reason: `${path.relative(REPO_ROOT, WAL_JOINING_LIBRARY)} cannot be loaded: ${(error as Error).message}` };
  } finally {
    loader.close();
  }
  return state;
}

export interface WalJoiningStats {
  /** The default VFS: `casebook-wal` when joining is on. */
  vfs: string;
  /** WAL writes SQLite asked for, and the writes made to the file, since the process loaded it. */
  writesAsked: number;
  writesMade: number;
  bytes: number;
}

/** The process's counters, through any connection opened after loading; null when it is not loaded. */
export function walJoiningStats(sqlite: Database.Database): WalJoiningStats | null {
  try {
    return JSON.parse((sqlite.prepare('SELECT casebook_wal_stats() AS s').get() as { s: string }).s) as WalJoiningStats;
  } catch {
    return null;
  }
}
