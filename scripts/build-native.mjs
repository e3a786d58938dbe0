/**
 * Compiles native/wal-coalesce.c, the SQLite extension that joins a commit's WAL writes into one
 * (src/db/wal-coalesce.ts), to native/build/casebook_wal.so. `npm install` (postinstall),
 * `npm start` and `npm test` (through scripts/build.mjs) run it; it does nothing when the library
 * is newer than its sources. It compiles against the SQLite headers better-sqlite3 ships (the
 * same SQLite the server runs).
 *
 * No C compiler, or the compile fails: one line on stderr and exit 0. Casebook runs the same
 * without the library, each WAL frame then written in two system calls as SQLite does. A
 * library built from an older source is removed then (a server never runs a shim its source no
 * longer describes), unless the folder may not be written: the line says the older one stays.
 *
 * Plain JavaScript on purpose: it runs on a fresh clone, from npm's install step.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = path.join(ROOT, 'native', 'wal-coalesce.c');
export const LIBRARY = path.join(ROOT, 'native', 'build', process.platform === 'darwin' ? 'casebook_wal.dylib' : 'casebook_wal.so');

function sqliteHeaders() {
  const require = createRequire(path.join(ROOT, 'package.json'));
  const dir = path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'deps', 'sqlite3');
  return fs.existsSync(path.join(dir, 'sqlite3ext.h')) ? dir : null;
}

const mtime = (file) => fs.statSync(file).mtimeMs;

/**
 * Builds the library unless it is current; returns what happened. Never throws: without it
 * Casebook runs the same. `library` and `cc`: where to, and with what (the tests build elsewhere).
 */
export function buildNative({ quiet = false, library = LIBRARY, cc = process.env.CC || 'cc' } = {}) {
  const say = (line) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const headers = sqliteHeaders();
  if (!headers) {
    say('casebook: WAL write joining not built: better-sqlite3 has no SQLite headers (deps/sqlite3/sqlite3ext.h); Casebook runs without it');
    return { built: false, reason: 'no SQLite headers' };
  }
  const inputs = [SOURCE, path.join(headers, 'sqlite3ext.h'), fileURLToPath(import.meta.url)];
  if (fs.existsSync(library) && mtime(library) >= Math.max(...inputs.map(mtime))) return { built: false, reason: 'current' };
  const NO_COMPILER = 'To build it: apt-get install -y gcc, then npm run build';
  const NOT_OWNER = `To build it: npm run build as the user who owns ${ROOT}`;
  const notBuilt = (why, fix = NO_COMPILER) => {
    // A library built from an older source is not kept: what runs is what the source says, or nothing.
    let stale = false;
    try {
      fs.rmSync(library, { force: true });
    } catch {
      stale = fs.existsSync(library);
    }
    const runs = stale ? `an older build (${path.relative(ROOT, library)}) stays in use until it is rebuilt` : 'Casebook runs without it';
    say(`casebook: WAL write joining not built (${why}); ${runs}. ${fix}`);
    return { built: false, reason: why };
  };
  // Written beside and renamed: a server or test starting meanwhile never loads half a file.
  const partial = `${library}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(library), { recursive: true });
  } catch (error) {
    // A checkout the service's user may not write (docs/deploying.md): start without it.
    return notBuilt(`${path.relative(ROOT, path.dirname(library))} cannot be written (${error.code})`, NOT_OWNER);
  }
  const args = ['-O2', '-fPIC', '-shared', '-Wall', '-I', headers, '-o', partial, SOURCE];
  if (process.platform === 'darwin') args.splice(2, 1, '-dynamiclib');
  const run = spawnSync(cc, args, { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    fs.rmSync(partial, { force: true });
    if (run.error) return notBuilt(`${cc} not found (${run.error.code})`);
    const first = (run.stderr || '').trim().split('\n')[0];
    return notBuilt(first ? `${cc} failed: ${first}` : `${cc} failed with exit code ${run.status}`, /permission denied/i.test(first) ? NOT_OWNER : NO_COMPILER);
  }
  try {
    fs.renameSync(partial, library);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    return notBuilt(`${path.relative(ROOT, library)} cannot be written (${error.code})`, NOT_OWNER);
  }
  say(`casebook: built ${path.relative(ROOT, library)}`);
  return { built: true };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildNative({ quiet: process.argv.includes('--quiet') });
