/**
 * Vitest global setup of every project (vitest.config.ts):
 * - the build `npm start` runs (scripts/build.mjs: `dist/`), made once before any file starts a
 *   server from it (./server.ts). Made here, in the main process, so two workers never write
 *   `dist/` at once; when the sources have not changed since the last build it does nothing;
 * - the run's folder for the harness's temp folders (`CASEBOOK_TEST_TMP`, read by `tempDir`),
 *   removed when the run ends. Each folder is also removed when its worker exits, but vitest
 *   ends its workers without that handler running: a full run left ~1,900 folders in /tmp.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './harness.js';

export default async function setup(): Promise<() => void> {
  // Every project runs this setup in the one main process: the first makes the folder. Workers
  // are started after the global setups, with this process's environment.
  const runTmp = (process.env.CASEBOOK_TEST_TMP ??= fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-run-')));
  fs.chmodSync(runTmp, 0o755); // servers started as other users (PostgreSQL's, Dovecot's) look inside
  const { build } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href)) as { build: (options: { quiet: boolean }) => Promise<unknown> };
  await build({ quiet: true });
  return () => fs.rmSync(runTmp, { recursive: true, force: true });
}
