/**
 * `npm run restore -- <file>`: puts a backup made by `npm run backup` in place of the
 * database (DATABASE_PATH) and its files into ATTACHMENTS_DIR. Stop the server first: a
 * database in use is refused (docs/deploying.md "Backups"). Customers the replaced database
 * erased after the backup was made are erased again, and with RETENTION_DAYS the retention
 * runs at once (docs/privacy.md).
 */
import { refuseOnPostgres } from '../src/backup/backup.js';
import { restoreDatabase } from '../src/backup/restore.js';
import { eq } from 'drizzle-orm';
import { openForCli, readCommandLine, runCli, UsageError } from '../src/cli.js';
import { eraseCustomer, erasedEmail } from '../src/privacy/erase-customer.js';
import { eraseExpiredCases } from '../src/privacy/retention.js';
import type { Actor } from '../src/roles.js';
import { loadConfig } from '../src/config.js';

const RESTORE_ACTOR: Actor = { type: 'system', id: null, role: 'admin', name: 'restore' };

runCli(async () => {
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
  // The backup predates these erasures: the customers' data is back, so it is erased again (docs/privacy.md).
  // And with RETENTION_DAYS, the cases the retention erased since the backup are back too: the
  // policy's run is done now rather than at the next nightly tick (the same cases it would take).
  const retentionDays = config.retentionDays;
  if (result.erasedSince.length === 0 && retentionDays === null) return;
  const cli = await openForCli();
  try {
    for (const { erasure, customerId } of result.erasedSince) {
      const exists = await cli.services.store.query((q) => q.db.select({ email: q.tables.customers.email }).from(q.tables.customers).where(eq(q.tables.customers.id, customerId)).limit(1));
      if (exists.length === 0) continue; // created after the backup: not in it
      if (exists[0]!.email === erasedEmail(customerId)) continue; // erased before the backup too
      const done = await eraseCustomer(cli.services, customerId, { ...RESTORE_ACTOR, name: `restore (erasure ${erasure} made after the backup)` });
      process.stdout.write(`Erased customer ${customerId} again: erased (erasure ${erasure}) after this backup was made (${done.cases} case(s))\n`);
    }
    if (retentionDays !== null) {
      let cases = 0;
      let chats = 0;
      for (;;) {
        const run = await eraseExpiredCases(cli.services, retentionDays);
        cases += run.erased;
        chats += run.chatsWithoutCase;
        if (!run.more || run.erased === 0) break;
      }
      if (cases + chats > 0) process.stdout.write(`Retention (RETENTION_DAYS=${retentionDays}): erased ${cases} case(s) closed more than ${retentionDays} days ago and ${chats} chat(s) without a case, as the nightly run would\n`);
    }
  } finally {
    await cli.close();
  }
});
