/**
 * `npm run build` (and `npm start`, through `prestart`, and the operational scripts, through
 * scripts/run.mjs): bundles the server's TypeScript (`src/`, `views/`; tests left out) and the
 * operational scripts' (`SCRIPTS` below) with esbuild (tsx's own) into plain JavaScript in
 * `dist/src/` and `dist/scripts/` (packages stay in node_modules), so `npm start` runs
 * `node dist/src/main.js` without a TypeScript loader and without resolving and compiling ~670
 * modules of its own: a server started in 1.2–1.5 s to its first answer with 1.45–1.66 s of
 * CPU, against 1.74–2.04 s and 2.04–2.40 s from a build of one file per source, and a script in
 * ~0.8 s of CPU against ~3.3 s through tsx (docs/performance.md). The modules loaded
 * only on PostgreSQL (`src/db/pg/`, behind an `import()`) are entry points of their own, at
 * their sources' paths, so a server on SQLite never reads them. Worker threads' files (plain
 * JavaScript, `new Worker(new URL('./x.js', import.meta.url))`) are copied next to each output
 * that names them. When nothing changed since the last build it does nothing (a stamp file
 * records the newest source time and the file list). Every run also brings `dist/assets/` up to
 * date: the text assets the server serves, compressed (brotli 11, gzip 9) under the SHA-256 of
 * their plain bytes (src/http/pages/assets.ts reads them; it compressed them itself on its first
 * page, ~250 ms of CPU a server), written only for a file whose bytes changed.
 *
 * Plain JavaScript on purpose: it must run on a fresh clone before anything is built.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { buildNative } from './build-native.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const SOURCE_DIRS = ['src', 'views'];
/** Files besides the sources whose change calls for a new build. */
const INPUTS = ['package.json', 'tsconfig.json', 'scripts/build.mjs'];

/**
 * The operational command-line scripts (`npm run backup`, …): entry points of the bundle at
 * `dist/scripts/<name>.js`, run by scripts/run.mjs. The developer's tools (lint, db:pg-schema,
 * the benchmarks) stay TypeScript run through tsx.
 */
export const SCRIPTS = ['backup', 'restore', 'vacuum', 'sla-sweep', 'report', 'import', 'rules-export', 'rules-import', 'migrate-to-postgres'];

/**
 * The bundle's entry points: the server, each module it loads with `import()` (only on
 * PostgreSQL: src/db/server-database.ts, src/http/ops.ts), kept at its own path, and the
 * command-line scripts. What two of them share is in chunks beside main.js.
 */
const ENTRIES = ['src/main.ts', 'src/db/pg/startup.ts', 'src/db/pg/migrations-status.ts', ...SCRIPTS.map((name) => `scripts/${name}.ts`)];

/** `new Worker(new URL('./x.js', import.meta.url))` in the built code: the worker files it names. */
const WORKER_URL = /new URL\(\s*["'`]\.\/([\w.-]+\.js)["'`]\s*,\s*import\.meta\.url\s*\)/g;

/**
 * Copies each worker thread's file (plain JavaScript sources, loaded without a loader) next to
 * every output that names it. A name no source has fails the build rather than a start.
 */
function copyWorkers(out, plainSources) {
  const byName = new Map(plainSources.map((file) => [path.basename(file), file]));
  const outputs = fs.readdirSync(out, { recursive: true }).filter((f) => f.endsWith('.js')).map((f) => path.join(out, f));
  for (const output of outputs) {
    for (const [, name] of fs.readFileSync(output, 'utf8').matchAll(WORKER_URL)) {
      const source = byName.get(name);
      if (!source) throw new Error(`${path.relative(out, output)} starts a worker from ./${name}, which no source file is`);
      fs.copyFileSync(source, path.join(path.dirname(output), name));
    }
  }
}

function sources(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(file, out);
    else if (/\.(ts|tsx|js)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(file);
  }
  return out;
}

/** The newest modification time and the sorted list of files: a build is current when both match. */
function fingerprint(files) {
  let newest = 0;
  for (const file of [...files, ...INPUTS.map((f) => path.join(ROOT, f))]) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  return { newest, files: files.map((f) => path.relative(ROOT, f)).sort() };
}

function current(print, stampFile) {
  try {
    const stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
    return stamp.newest === print.newest && JSON.stringify(stamp.files) === JSON.stringify(print.files);
  } catch {
    return false;
  }
}

/**
 * The text assets src/http/pages/assets.ts serves compressed: htmx, and public/'s scripts,
 * styles and SVG (test/tooling/build.test.ts checks this covers its list).
 */
function assetFiles() {
  const pub = path.join(ROOT, 'public');
  const own = fs.readdirSync(pub).filter((name) => /\.(js|css|svg)$/.test(name)).map((name) => path.join(pub, name));
  return [createRequire(path.join(ROOT, 'package.json')).resolve('htmx.org/dist/htmx.min.js'), ...own];
}

/** `out`/assets/<sha256 of the plain bytes>.br and .gz for every asset; others removed. Returns how many were written. */
export function precompressAssets(out = DIST) {
  const dir = path.join(out, 'assets');
  fs.mkdirSync(dir, { recursive: true });
  const keep = new Set();
  let written = 0;
  for (const file of assetFiles()) {
    const body = fs.readFileSync(file);
    const digest = createHash('sha256').update(body).digest('hex');
    for (const [ext, compress] of [
      ['br', () => zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } })],
      ['gz', () => zlib.gzipSync(body, { level: 9 })],
    ]) {
      const name = `${digest}.${ext}`;
      keep.add(name);
      if (fs.existsSync(path.join(dir, name))) continue;
      // Whole or not at all: a server reading it meanwhile sees no file, not half of one.
      const partial = path.join(dir, `.${name}.${process.pid}`);
      fs.writeFileSync(partial, compress());
      fs.renameSync(partial, path.join(dir, name));
      written++;
    }
  }
  // Not another build's file in the making (a dot name).
  for (const name of fs.readdirSync(dir)) if (!keep.has(name) && !name.startsWith('.')) fs.rmSync(path.join(dir, name), { force: true });
  return written;
}

/** esbuild comes with tsx (a dependency); resolved from tsx when it is not hoisted. */
async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    const require = createRequire(createRequire(path.join(ROOT, 'package.json')).resolve('tsx'));
    return require('esbuild');
  }
}

/** Builds into `out` (default `dist/`; tests build elsewhere) unless it is current. */
export async function build({ force = false, quiet = false, out = DIST } = {}) {
  // The WAL write joining library (native/build/, for every build): at once when current.
  buildNative({ quiet });
  const OUT = out;
  const STAMP = path.join(OUT, '.build-stamp.json');
  // The server's sources and the operational scripts' files (not the developer's tools beside them).
  const files = [...SOURCE_DIRS.flatMap((dir) => sources(path.join(ROOT, dir))), ...SCRIPTS.map((name) => path.join(ROOT, 'scripts', `${name}.ts`))];
  const print = fingerprint(files);
  precompressAssets(OUT);
  if (!force && current(print, STAMP)) return { built: false, files: files.length };
  const started = performance.now();
  const esbuild = await loadEsbuild();
  for (const dir of [...SOURCE_DIRS, 'scripts']) fs.rmSync(path.join(OUT, dir), { recursive: true, force: true });
  await esbuild.build({
    entryPoints: ENTRIES.map((entry) => path.join(ROOT, entry)),
    outdir: OUT,
    outbase: ROOT,
    entryNames: '[dir]/[name]',
    // Next to main.js: src/repo-root.ts finds the repository from dist/src/, wherever its code lands.
    chunkNames: 'src/[name]-[hash]',
    bundle: true,
    splitting: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    // dist/src/*.js.map, read only under `node --enable-source-maps`: stack traces at the sources' lines.
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  copyWorkers(OUT, files.filter((f) => f.endsWith('.js')));
  fs.writeFileSync(STAMP, JSON.stringify(print));
  const ms = performance.now() - started;
  if (!quiet) process.stderr.write(`Casebook built ${files.length} files into dist/ in ${ms.toFixed(0)} ms\n`);
  return { built: true, files: files.length, ms };
}

/**
 * `build()` for a command (`npm start`'s prestart, scripts/run.mjs): a checkout this user may not
 * write (owned by the deploying user) is one line on stderr and exit 1, not a stack.
 */
export async function buildOrExplain({ force = false, quiet = false, out = DIST } = {}) {
  try {
    return await build({ force, quiet, out });
  } catch (error) {
    if (!['EACCES', 'EPERM', 'EROFS'].includes(error?.code)) throw error;
    process.stderr.write(
      `Casebook cannot build ${path.relative(ROOT, out) || out}/: ${error.path ?? out} cannot be written (${error.code}). ` +
        `Fix: run npm run build as the user who owns ${ROOT} (after each update), then npm start as this one, or let this user write ${out}\n`,
    );
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : DIST;
  await buildOrExplain({ force: process.argv.includes('--force'), quiet: process.argv.includes('--quiet'), out });
}
