/**
 * `node --import <this file>`: records the URL of every module the process loads, one per line,
 * in the file MODULE_TRACE_FILE names (test/ops/sqlite-modules.test.ts: what a server on SQLite
 * loads). Plain JavaScript: it runs before any TypeScript loader.
 */
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url, { data: { file: process.env.MODULE_TRACE_FILE } });
