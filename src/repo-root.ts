/**
 * The repository's root folder (migrations, public assets, definition folders), whether the
 * server runs from its TypeScript sources (`src/`, `npm run dev`, tests) or from the build
 * (`dist/src/`, `npm start`; scripts/build.mjs).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const parent = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const REPO_ROOT = path.basename(parent) === 'dist' && path.basename(path.dirname(fileURLToPath(import.meta.url))) === 'src' ? path.dirname(parent) : parent;
