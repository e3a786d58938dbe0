/**
 * `npm start`'s build (scripts/build.mjs, run by `prestart`, and by scripts/run.mjs for the
 * operational scripts): the server bundled into plain JavaScript in `dist/src/` (the
 * PostgreSQL-only modules as files of their own, the worker threads' files beside the code that
 * starts them), the operational scripts in `dist/scripts/`, rebuilt only when a source changed.
 * Built here into a temp folder (the start-stop tests run the real `npm start`, the cli tests
 * the real scripts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/harness.js';
import { npmScripts } from '../support/server.js';

type Build = (options: { out: string; quiet: boolean; force?: boolean }) => Promise<{ built: boolean; files: number; ms?: number }>;
type BuildModule = { build: Build; SCRIPTS: string[] };

/** A built file and every file of ours it loads with static imports, followed through the chunks. */
function loadedWith(out: string, file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const code = fs.readFileSync(path.join(out, file), 'utf8');
  for (const [, from, bare] of code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*["'](\.[^"']+)["']|^import\s*["'](\.[^"']+)["']/gm)) {
    loadedWith(out, path.posix.join(path.posix.dirname(file), (from ?? bare)!), seen);
  }
  return [...seen];
}

describe('scripts/build.mjs', () => {
  it('bundles the server into dist/ once, and again only when the sources change', async () => {
    const { build, SCRIPTS } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href)) as BuildModule;
    const out = path.join(tempDir(), 'dist');
    const first = await build({ out, quiet: true });
    expect(first.built).toBe(true);
    expect(first.ms).toBeLessThan(30_000);
    const built = (fs.readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith('.js')).map((f) => f.split(path.sep).join('/'));
    // the server and the modules only PostgreSQL loads (behind an import()), at their own paths
    for (const file of ['src/main.js', 'src/db/pg/startup.js', 'src/db/pg/migrations-status.js']) expect(built, file).toContain(file);
    // the operational scripts, each at dist/scripts/<name>.js
    for (const name of SCRIPTS) expect(built, name).toContain(`scripts/${name}.js`);
    // a bundle, not a file per source: views and the server's modules are inside it; besides the
    // entries and the workers, only the chunks two entries share
    const entries = new Set(['src/main.js', 'src/db/pg/startup.js', 'src/db/pg/migrations-status.js', ...SCRIPTS.map((name) => `scripts/${name}.js`)]);
    expect(built.filter((f) => !entries.has(f) && !/^src\/chunk-\w+\.js$/.test(f) && !/worker\.js$/.test(f))).toEqual([]);
    expect(built.filter((f) => f.startsWith('src/chunk-')).length).toBeLessThan(30);
    const main = fs.readFileSync(path.join(out, 'src/main.js'), 'utf8');
    expect(main).not.toMatch(/^import .* from ["']\.\.?\/.*\.tsx?["']/m); // nothing left for a TypeScript loader
    // node-postgres only behind PostgreSQL's entry, in what main.js loads with it as in main.js
    const loads = (file: string) => loadedWith(out, file).map((f) => fs.readFileSync(path.join(out, f), 'utf8'));
    expect(loadedWith(out, 'src/main.js').length).toBeGreaterThan(1);
    expect(loads('src/main.js').filter((code) => /from ["']pg["']/.test(code))).toEqual([]);
    expect(loads('src/db/pg/startup.js').some((code) => /from ["']pg["']/.test(code))).toBe(true);
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
    // What the bundle is built from: the operational scripts, not the developer's tools beside them
    const from = (JSON.parse(fs.readFileSync(stamp, 'utf8')) as { files: string[] }).files;
    expect(from.filter((f) => f.startsWith('scripts/')).sort()).toEqual(SCRIPTS.map((name) => `scripts/${name}.ts`).sort());
    fs.writeFileSync(stamp, JSON.stringify({ ...JSON.parse(fs.readFileSync(stamp, 'utf8')), newest: 0 }));
    expect((await build({ out, quiet: true })).built).toBe(true);
  }, 60_000);

  it("writes every compressed asset the server serves into dist/assets/, named by the plain bytes, and only what changed", async () => {
    const { build } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href)) as BuildModule;
    const { assetDigest, compressAsset, compressibleAssetFiles, precompressedFile } = await import('../../src/http/pages/assets.js');
    const out = path.join(tempDir(), 'dist');
    await build({ out, quiet: true });
    const dir = path.join(out, 'assets');
    const files = compressibleAssetFiles();
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const body = fs.readFileSync(file);
      // the bytes the server would make itself (it reads these instead)
      for (const encoding of ['br', 'gzip'] as const) expect(fs.readFileSync(precompressedFile(dir, assetDigest(body), encoding)).equals(compressAsset(body, encoding)), `${file} ${encoding}`).toBe(true);
    }
    expect(fs.readdirSync(dir).length).toBe(files.length * 2);
    // A copy of another version goes; the current ones are not written again.
    fs.writeFileSync(path.join(dir, `${'0'.repeat(64)}.br`), 'old');
    const before = fs.statSync(precompressedFile(dir, assetDigest(fs.readFileSync(files[0]!)), 'br')).mtimeMs;
    await build({ out, quiet: true });
    expect(fs.existsSync(path.join(dir, `${'0'.repeat(64)}.br`))).toBe(false);
    expect(fs.statSync(precompressedFile(dir, assetDigest(fs.readFileSync(files[0]!)), 'br')).mtimeMs).toBe(before);
  }, 60_000);

  it('builds every operational script npm runs through scripts/run.mjs, and no other', async () => {
    const { SCRIPTS } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href)) as BuildModule;
    const commands = Object.values(npmScripts());
    const launched = commands.flatMap((command) => /^node scripts\/run\.mjs ([\w-]+)$/.exec(command)?.[1] ?? []);
    expect(launched.sort()).toEqual([...SCRIPTS].sort());
    // none of them is still run from its TypeScript source
    expect(commands.filter((command) => SCRIPTS.some((name) => command.includes(`scripts/${name}.ts`)))).toEqual([]);
  });

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
