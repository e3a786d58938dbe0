/**
 * Creates a folder and its missing parents one level at a time, failing on the first level
 * that cannot be made. Node's `mkdirSync(dir, { recursive: true })` reads ENOENT from a mkdir
 * as "the parent is missing" and tries the parent again: under /proc (which refuses every
 * mkdir with ENOENT, though the parent exists) it loops for ever, and a start-up with
 * DATABASE_PATH=/proc/… hung with no word. Here every level is made once: a level that
 * cannot be made throws its own error (ENOENT, EACCES, ENOTDIR…) with `path` the level.
 */
import fs from 'node:fs';
import path from 'node:path';

export function makeFolder(dir: string): void {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (stat) {
      if (stat.isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${missing[0] ?? current}'`), { code: 'ENOTDIR', path: current });
    }
    const parent = path.dirname(current);
    missing.unshift(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing) {
    try {
      fs.mkdirSync(level);
    } catch (error) {
      // Made meanwhile by someone else: fine, if it is a folder.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(level).isDirectory()) continue;
      throw error;
    }
  }
}
