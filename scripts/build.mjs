/**
 * `npm run build` (and `npm start`, through `prestart`): transpiles the server's TypeScript
 * (`src/`, `views/`; tests left out) file by file to plain JavaScript in `dist/`, keeping the
 * folder layout, so `npm start` runs `node dist/src/main.js` without a TypeScript loader in the
 * process. esbuild (tsx's own) does it in well under a second; when nothing changed since the
 * last build it does nothing (a stamp file records the newest source time and the file list).
 *
 * Plain JavaScript on purpose: it must run on a fresh clone before anything is built.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative } from './build-native.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const SOURCE_DIRS = ['src', 'views'];
/** Files besides the sources whose change calls for a new build. */
const INPUTS = ['package.json', 'tsconfig.json', 'scripts/build.mjs'];

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
  const files = SOURCE_DIRS.flatMap((dir) => sources(path.join(ROOT, dir)));
  const print = fingerprint(files);
  if (!force && current(print, STAMP)) return { built: false, files: files.length };
  const started = performance.now();
  const esbuild = await loadEsbuild();
  for (const dir of SOURCE_DIRS) fs.rmSync(path.join(OUT, dir), { recursive: true, force: true });
  const code = files.filter((f) => !f.endsWith('.js'));
  await esbuild.build({
    entryPoints: code,
    outdir: OUT,
    outbase: ROOT,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    sourcemap: false,
    logLevel: 'warning',
  });
  // Plain JavaScript sources (the checkpoint worker) are copied as they are.
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    const target = path.join(OUT, path.relative(ROOT, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
  fs.writeFileSync(STAMP, JSON.stringify(print));
  const ms = performance.now() - started;
  if (!quiet) process.stderr.write(`Casebook built ${code.length} files to dist/ in ${ms.toFixed(0)} ms\n`);
  return { built: true, files: files.length, ms };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : DIST;
  try {
    await build({ force: process.argv.includes('--force'), out });
  } catch (error) {
    // A checkout this user may not write (owned by the deploying user): one line, not a stack.
    if (!['EACCES', 'EPERM', 'EROFS'].includes(error?.code)) throw error;
    process.stderr.write(
      `Casebook cannot build ${path.relative(ROOT, out) || out}/: ${error.path ?? out} cannot be written (${error.code}). ` +
        `Fix: run npm run build as the user who owns ${ROOT} (after each update), then npm start as this one, or let this user write ${out}\n`,
    );
    process.exit(1);
  }
}
