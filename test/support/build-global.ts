/**
 * Vitest global setup of the `processes` project (vitest.config.ts): the build `npm start`
 * runs (scripts/build.mjs: `dist/`), made once before any file starts a server from it
 * (./server.ts). Made here, in the main process, so two workers never write `dist/` at once;
 * when the sources have not changed since the last build it does nothing.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './harness.js';

export default async function setup(): Promise<void> {
  const { build } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build.mjs')).href)) as { build: (options: { quiet: boolean }) => Promise<unknown> };
  await build({ quiet: true });
}
