/**
 * scripts/build-native.mjs: the WAL write joining library (src/db/wal-coalesce.ts) compiled by
 * `npm install`, `npm start` and `npm test`. Built here into temp folders, never over the
 * library the other tests load. Whatever happens it does not throw: Casebook runs without it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/harness.js';

type BuildNative = (options: { quiet?: boolean; library?: string; cc?: string }) => { built: boolean; reason?: string };
const SCRIPT = pathToFileURL(path.join(ROOT, 'scripts/build-native.mjs')).href;
const load = async () => (await import(SCRIPT)) as { buildNative: BuildNative };

/** Runs buildNative({ library, cc }) in a process of its own (its stderr is what npm start shows), as `as` when given. */
function buildInChild(options: { library: string; cc?: string }, as?: { uid: number; gid: number }) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', `import { buildNative } from ${JSON.stringify(SCRIPT)}; buildNative(${JSON.stringify(options)});`], { cwd: ROOT, encoding: 'utf8', ...as });
}
const NOBODY = { uid: 65534, gid: 65534 };

describe('scripts/build-native.mjs', () => {
  it('compiles a loadable SQLite extension once, and again only when its source is newer', async () => {
    const { buildNative } = await load();
    const library = path.join(tempDir(), 'build', 'casebook_wal.so');
    expect(buildNative({ quiet: true, library })).toEqual({ built: true });
    expect(buildNative({ quiet: true, library })).toEqual({ built: false, reason: 'current' });
    // Loaded by a process of its own (the VFS is process-wide): it becomes the default VFS.
    const check = `const D = require('better-sqlite3'); const l = new D(':memory:'); l.loadExtension(${JSON.stringify(library)}); l.close();
      const db = new D(':memory:'); process.stdout.write(JSON.parse(db.prepare('SELECT casebook_wal_stats() AS s').get().s).vfs);`;
    const run = spawnSync(process.execPath, ['-e', check], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stdout).toBe('casebook-wal');
    fs.utimesSync(library, new Date(0), new Date(0)); // older than its source
    expect(buildNative({ quiet: true, library })).toEqual({ built: true });
  }, 60_000);

  it('without a compiler: one line, nothing built, no error', () => {
    const library = path.join(tempDir(), 'build', 'casebook_wal.so');
    const run = buildInChild({ library, cc: '/nonexistent/cc' });
    expect(run.status).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual(['casebook: WAL write joining not built (/nonexistent/cc not found (ENOENT)); Casebook runs without it. To build it: apt-get install -y gcc, then npm run build']);
    expect(fs.existsSync(library)).toBe(false);
  });

  it('a compile that fails removes a library built from an older source: the server runs without it, not with the old one', () => {
    const library = path.join(tempDir(), 'build', 'casebook_wal.so');
    fs.mkdirSync(path.dirname(library));
    fs.writeFileSync(library, 'an older build');
    fs.utimesSync(library, new Date(0), new Date(0)); // older than its source
    const run = buildInChild({ library, cc: '/bin/false' });
    expect(run.status).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual(['casebook: WAL write joining not built (/bin/false failed with exit code 1); Casebook runs without it. To build it: apt-get install -y gcc, then npm run build']);
    expect(fs.existsSync(library)).toBe(false);
  });

  it('run by a user who may not write the folder: one line naming who should build, and npm start goes on', (context) => {
    if (process.getuid?.() !== 0) return context.skip('needs root, to run the build as another user');
    const parent = tempDir();
    fs.chmodSync(parent, 0o755);
    const library = path.join(parent, 'build', 'casebook_wal.so');
    const run = buildInChild({ library }, NOBODY);
    expect(run.status).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([`casebook: WAL write joining not built (${path.relative(ROOT, path.dirname(library))} cannot be written (EACCES)); Casebook runs without it. To build it: npm run build as the user who owns ${ROOT}`]);
  });

  it('run by a user who may not write the folder, over a library built from an older source: the line says the older one stays in use', (context) => {
    if (process.getuid?.() !== 0) return context.skip('needs root, to run the build as another user');
    const parent = tempDir();
    fs.chmodSync(parent, 0o755);
    const library = path.join(parent, 'build', 'casebook_wal.so');
    fs.mkdirSync(path.dirname(library), { mode: 0o755 });
    fs.writeFileSync(library, 'an older build');
    fs.utimesSync(library, new Date(0), new Date(0));
    const run = buildInChild({ library }, NOBODY);
    expect(run.status).toBe(0);
    const line = run.stderr.trim().split('\n');
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(/^casebook: WAL write joining not built \(.*\); an older build \(.*casebook_wal\.so\) stays in use until it is rebuilt\. To build it: npm run build as the user who owns /);
    expect(fs.readFileSync(library, 'utf8')).toBe('an older build');
  });
});
