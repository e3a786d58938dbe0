/**
 * `npm run restore -- <file>`: puts a backup made by `npm run backup` in place of the
 * database (DATABASE_PATH) and its files into ATTACHMENTS_DIR. Stop the server first: a
 * database in use is refused (docs/deploying.md "Backups").
 */
import { refuseOnPostgres } from '../src/backup/backup.js';
import { restoreDatabase } from '../src/backup/restore.js';
import { readCommandLine, runCli, UsageError } from '../src/cli.js';
import { loadConfig } from '../src/config.js';

runCli(() => {
  const usage = 'Usage: npm run restore -- <file>   put a backup made by npm run backup in place of DATABASE_PATH (stop the server first)';
  const [source] = readCommandLine(process.argv.slice(2), { usage, options: {}, positional: 1 }).args;
  if (!source) throw new UsageError('Name the backup file to restore.', usage);
  refuseOnPostgres('restore', process.env.DATABASE_URL);
  const config = loadConfig();
  const result = restoreDatabase(source, config.databasePath, { attachmentsDir: config.attachments.dir });
  process.stdout.write(`Restored ${result.file} from ${source} (${result.cases} cases)\n`);
  if (result.previous) process.stdout.write(`The database it replaced is kept as ${result.previous}\n`);
  if (result.migrations.state === 'behind') process.stdout.write(`${result.migrations.missing.length} newer migration(s) will be applied when Casebook starts\n`);
  if (result.attachments > 0) process.stdout.write(`Attachments: ${result.attachments} file(s) copied to ${config.attachments.dir}\n`);
});
