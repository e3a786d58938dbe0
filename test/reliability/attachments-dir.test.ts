/**
 * Start-up refuses an attachment folder it could not write, with one clear line, instead of
 * failing on the first upload — before it opens the database, so nothing is left behind; a
 * folder that does not exist yet is left to the first file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtServerArgs, freePort } from '../support/server.js';
import { ADMIN_TOKEN, ROOT, tempDir } from '../support/harness.js';

describe('ATTACHMENTS_DIR at start-up', () => {
  it('a path through a file stops start-up with the folder and the fix', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'not-a-folder'), 'x');
    const result = spawnSync(process.execPath, await builtServerArgs(), {
      cwd: ROOT,
      env: { ...process.env, PORT: String(await freePort()), HOST: '127.0.0.1', DATABASE_PATH: path.join(dir, 'casebook.db'), ATTACHMENTS_DIR: path.join(dir, 'not-a-folder', 'files'), SEED_DEMO: 'false', ADMIN_TOKEN, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Casebook cannot start: ATTACHMENTS_DIR ${path.join(dir, 'not-a-folder', 'files')} cannot be written (ENOTDIR). Fix:`);
    expect(result.stdout).not.toContain('Casebook is running');
    // Refused before the database is opened: the corrected start creates it, with the demo.
    expect(fs.readdirSync(dir)).toEqual(['not-a-folder']);
  }, 40_000);
});
