/**
 * `npm run db:migrate-to-postgres -- --to postgres://… [--from <file>] [--dry-run]`: copies a
 * SQLite installation (default: DATABASE_PATH as the server resolves it) into an empty
 * PostgreSQL database, verified by counts and checksums (src/db/pg/copy/, docs/deploying.md
 * "Moving to PostgreSQL").
 */
import path from 'node:path';
import { attachmentSettingsFromEnv } from '../src/attachments/settings.js';
import { readCommandLine, runCli, UsageError } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { migrateToPostgres } from '../src/db/pg/copy/migrate-to-postgres.js';
import { redactUrl } from '../src/db/pg/copy/target.js';

const usage = `Usage: npm run db:migrate-to-postgres -- --to postgres://user:password@host:5432/db [--from <sqlite file>] [--dry-run]
  copies every table of a stopped Casebook's SQLite database into an empty PostgreSQL database
  (migrated first), in one transaction, verified by row counts and checksums before it commits
  --to        the PostgreSQL database (must hold no Casebook data)
  --from      the SQLite database (default: DATABASE_PATH, as npm start resolves it)
  --dry-run   copy and verify, then roll back: the target keeps no rows
Attachment files are not copied: point the PostgreSQL installation's ATTACHMENTS_DIR at them.`;

runCli(async () => {
  const { options } = readCommandLine(process.argv.slice(2), { usage, options: { to: 'value', from: 'value', 'dry-run': 'flag' } });
  const to = options.get('to');
  if (typeof to !== 'string') throw new UsageError('Name the PostgreSQL database: --to postgres://…', usage);
  if (!/^postgres(ql)?:\/\//.test(to)) throw new UsageError(`--to must be a postgres:// URL, got ${redactUrl(to)}.`, usage);
  const fromOption = options.get('from');
  const from = typeof fromOption === 'string' ? path.resolve(fromOption) : loadConfig().databasePath;
  const dryRun = options.has('dry-run');
  const started = Date.now();
  process.stdout.write(`Copying ${from} to ${redactUrl(to)}${dryRun ? ' (dry run: rolled back at the end)' : ''}\n`);
  const width = 30;
  const result = await migrateToPostgres({
    from,
    to,
    dryRun,
    onTable: (t) => process.stdout.write(`  ${t.table.padEnd(width)} ${String(t.rows).padStart(9)} rows  sha256 ${t.checksum.slice(0, 16)}  ok\n`),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `${result.tables.length} tables, ${result.rows} rows copied; every count and checksum equal the source's; ${result.committed ? 'committed' : 'rolled back (dry run)'} in ${seconds} s\n`,
  );
  const files = attachmentSettingsFromEnv(process.env, process.cwd(), from).dir;
  process.stdout.write(`Attachments: ${result.attachments} attachment row(s) name files in ${files}, which stay where they are: set ATTACHMENTS_DIR=${files} for the PostgreSQL installation (or copy the folder and point it there).\n`);
});
