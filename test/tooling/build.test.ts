/**
 * `npm start`'s build (scripts/build.mjs, run by `prestart`): plain JavaScript in `dist/` with
 * the sources' layout, rebuilt only when a source changed. Built here into a temp folder (the
 * start-stop tests run the real `npm start`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/harness.js';

type Build = (options: { out: string; quiet: boolean; force?: boolean }) => Promise<{ built: boolean; files: number; ms?: number }>;

describe('scripts/build.mjs', () => {
  it('transpiles the server to dist/ once, and again only when the sources change', async () => {
    const { build } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href)) as { build: Build };
    const out = path.join(tempDir(), 'dist');
    const first = await build({ out, quiet: true });
    expect(first.built).toBe(true);
    expect(first.ms).toBeLessThan(30_000);
    for (const file of ['src/main.js', 'src/db/checkpoint-worker.js', 'src/http/app.js', 'views/layout.js']) {
      expect(fs.existsSync(path.join(out, file)), file).toBe(true);
    }
    expect(fs.readFileSync(path.join(out, 'src/db/client.js'), 'utf8')).not.toMatch(/: Db\b|interface /); // types are gone
    expect(fs.existsSync(path.join(out, 'src/db/group-commit.test.js'))).toBe(false);

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
