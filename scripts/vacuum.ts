/**
 * `npm run vacuum`: rebuilds the database (DATABASE_PATH) with SQLite's VACUUM, so its file
 * holds no old bytes of rows changed, deleted or erased before (docs/privacy.md). Stop the
 * server first: a database in use is refused.
 */
import { refuseOnPostgres } from '../src/backup/backup.js';
import { vacuumDatabase } from '../src/backup/vacuum.js';
import { readCommandLine, runCli } from '../src/cli.js';
import { loadConfig } from '../src/config.js';

runCli(() => {
  const usage = 'Usage: npm run vacuum   rebuild the database file (DATABASE_PATH) with VACUUM: no free pages, no old bytes of erased rows (stop the server first)';
  readCommandLine(process.argv.slice(2), { usage, options: {}, positional: 0 });
  refuseOnPostgres('vacuum', process.env.DATABASE_URL);
  const result = vacuumDatabase(loadConfig().databasePath);
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  process.stdout.write(`Vacuumed ${result.file} in ${(result.ms / 1000).toFixed(1)} s: ${mb(result.bytesBefore)} before (file and WAL), ${mb(result.bytesAfter)} after\n`);
});
