/**
 * `npm run backup -- <file>`: a consistent copy of the database (DATABASE_PATH) while the
 * server runs, and of the attachment files (ATTACHMENTS_DIR) to `<file>-files/`
 * (docs/deploying.md "Backups").
 */
import { backupDatabase, refuseOnPostgres } from '../src/backup/backup.js';
import { readCommandLine, runCli, UsageError } from '../src/cli.js';
import { loadConfig } from '../src/config.js';

runCli(async () => {
  const usage = 'Usage: npm run backup -- <file>   a consistent copy of DATABASE_PATH (and the attachments, to <file>-files/) while the server runs; a new file: the backup never overwrites one';
  const [target] = readCommandLine(process.argv.slice(2), { usage, options: {}, positional: 1 }).args;
  if (!target) throw new UsageError('Name the backup file to write.', usage);
  refuseOnPostgres('backup', process.env.DATABASE_URL);
  const config = loadConfig();
  const result = await backupDatabase(config.databasePath, target, { attachmentsDir: config.attachments.dir });
  process.stdout.write(`Backed up ${config.databasePath} to ${result.file} (${result.bytes} bytes, ${result.cases} cases)\n`);
  if (result.attachments) process.stdout.write(`Attachments: ${result.attachments.files} file(s) copied to ${result.attachments.dir}\n`);
});
