/**
 * `npm start`'s build (scripts/build.mjs, run by `prestart`): the server bundled into plain
 * JavaScript in `dist/src/` (the PostgreSQL-only modules as files of their own, the worker
 * threads' files beside the code that starts them), rebuilt only when a source changed. Built
 * here into a temp folder (the start-stop tests run the real `npm start`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/harness.js';

type Build = (options: { out: string; quiet: boolean; force?: boolean }) => Promise<{ built: boolean; files: number; ms?: number }>;

describe('scripts/build.mjs', () => {
  it('bundles the server into dist/ once, and again only when the sources change', async () => {
    const { build } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href)) as { build: Build };
    const out = path.join(tempDir(), 'dist');
    const first = await build({ out, quiet: true });
    expect(first.built).toBe(true);
    expect(first.ms).toBeLessThan(30_000);
    const built = (fs.readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith('.js')).map((f) => f.split(path.sep).join('/'));
    // the server and the modules only PostgreSQL loads (behind an import()), at their own paths
    for (const file of ['src/main.js', 'src/db/pg/startup.js', 'src/db/pg/migrations-status.js']) expect(built, file).toContain(file);
    // a bundle, not a file per source: views and the server's modules are inside it
    expect(built.length).toBeLessThan(20);
    expect(built.some((f) => f.startsWith('views/') || f === 'src/http/app.js')).toBe(false);
    const main = fs.readFileSync(path.join(out, 'src/main.js'), 'utf8');
    expect(main).not.toMatch(/^import .* from ["']\.\.?\/.*\.tsx?["']/m); // nothing left for a TypeScript loader
    expect(main).not.toMatch(/from ["']pg["']/); // node-postgres only behind PostgreSQL's entry
    expect(fs.readFileSync(path.join(out, 'src/db/pg/startup.js'), 'utf8')).toMatch(/from ["']pg["']/);
    // every import() of our own code reaches an entry of scripts/build.mjs's list, at its source's
    // path, not a chunk esbuild named: a new one must join the list (sqlite-modules.test.ts reads the paths)
    const dynamic = [...main.matchAll(/import\(\s*["'](\.[^"']+)["']\s*\)/g)].map(([, target = '']) => path.posix.join('src', target));
    expect(dynamic.sort()).toEqual(['src/db/pg/migrations-status.js', 'src/db/pg/startup.js']);
    // each worker thread's file is where the code that starts it looks for it
    for (const file of built) {
      for (const [, name = ''] of fs.readFileSync(path.join(out, file), 'utf8').matchAll(/new URL\(\s*["'`]\.\/([\w.-]+\.js)["'`]\s*,\s*import\.meta\.url/g)) {
        expect(fs.existsSync(path.join(out, path.dirname(file), name)), `${file} → ./${name}`).toBe(true);
      }
    }
    expect(built.filter((f) => /worker\.js$/.test(f)).sort()).toEqual(['src/checkpoint-worker.js', 'src/file-writer-worker.js', 'src/integrity-worker.js']);
    expect(built.some((f) => f.endsWith('.test.js'))).toBe(false);

    expect((await build({ out, quiet: true })).built).toBe(false);
    // A source newer than the build (the stamp records the newest source time) builds again.
    const stamp = path.join(out, '.build-stamp.json');
    fs.writeFileSync(stamp, JSON.stringify({ ...JSON.parse(fs.readFileSync(stamp, 'utf8')), newest: 0 }));
    expect((await build({ out, quiet: true })).built).toBe(true);
  }, 60_000);

  it('run by a user who may not write the build folder, stops with one line saying who should build', () => {
    const parent = tempDir();
    const out = path.join(parent, 'dist');
    fs.mkdirSync(out);
    fs.mkdirSync(path.join(out, 'src'));
    fs.chmodSync(out, 0o555);
    // root ignores permission bits: the build runs as an unprivileged user then, as a service would
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = spawnSync(process.execPath, ['scripts/build.mjs', '--force', '--out', out], { cwd: ROOT, encoding: 'utf8', ...user });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^Casebook cannot build .*dist/: .* cannot be written \\(EACCES\\)\\. Fix: run npm run build as the user who owns ${ROOT.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(after each update\\), then npm start as this one`));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
