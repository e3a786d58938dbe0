/**
 * `npm run backup -- <file>`: a consistent copy of the database (DATABASE_PATH) while the
 * server runs, and of the attachment files (ATTACHMENTS_DIR) to `<file>-files/`
 * (docs/deploying.md "Backups").
 */
import { backupDatabase } from '../src/backup/backup.js';
import { runCli } from '../src/cli.js';
import { loadConfig } from '../src/config.js';

runCli(async () => {
  const target = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
  if (!target) throw new Error('Usage: npm run backup -- <file>   (a new file: the backup never overwrites one)');
  const config = loadConfig();
  const result = await backupDatabase(config.databasePath, target, { attachmentsDir: config.attachments.dir });
  process.stdout.write(`Backed up ${config.databasePath} to ${result.file} (${result.bytes} bytes, ${result.cases} cases)\n`);
  if (result.attachments) process.stdout.write(`Attachments: ${result.attachments.files} file(s) copied to ${result.attachments.dir}\n`);
});
