/**
 * `npm run <script>` for the operational scripts (`npm run backup -- file.db`, package.json):
 * brings the build up to date as `npm start` does (nothing to do when no source changed), then
 * runs `dist/scripts/<script>.js` in this process with the arguments after the name. A script
 * from the build starts in ~0.8 s of CPU against ~3.3 s through tsx (docs/performance.md).
 *
 * Plain JavaScript on purpose: it runs on a fresh clone before anything is built.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildOrExplain, SCRIPTS } from './build.mjs';

const [name] = process.argv.splice(2, 1);
if (!SCRIPTS.includes(name)) {
  process.stderr.write(`scripts/run.mjs runs one of ${SCRIPTS.join(', ')}; not ${name === undefined ? 'nothing' : `"${name}"`}\n`);
  process.exit(2);
}
await buildOrExplain({ quiet: true });
// What the script reads after its name: process.argv.slice(2), as when it ran on its own.
await import(pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'scripts', `${name}.js`)).href);
