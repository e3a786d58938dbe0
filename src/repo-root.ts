/**
 * The repository's root folder (migrations, public assets, definition folders), whether the
 * code runs from its TypeScript sources (`src/`, `npm run dev`, tests) or from the build
 * (`dist/src/` for the server and the chunks it shares, `dist/scripts/` where a command-line
 * script has this module in its own file; scripts/build.mjs).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const parent = path.resolve(here, '..');

export const REPO_ROOT = path.basename(parent) === 'dist' && ['src', 'scripts'].includes(path.basename(here)) ? path.dirname(parent) : parent;
