/**
 * `npm run import -- cases.ndjson [--json]` (or `-` for standard input) imports cases from
 * another help desk into the configured database: the same format and rules as
 * `POST /api/v1/import/cases` (docs/import.md). The file is read line by line; progress and
 * per-line errors go to standard error, the summary to standard output. Re-running the same
 * file skips the cases already imported. Exit code 2 when some lines failed.
 */
import fs from 'node:fs';
import { openForCli, readCommandLine, runCli, UsageError } from '../src/cli.js';
import { importCases } from '../src/import/import-cases.js';
import { ndjsonLines } from '../src/import/ndjson-lines.js';
import type { Actor } from '../src/roles.js';
import { drainOutboxFully } from '../src/sla/run-sweep.js';

const IMPORT_ACTOR: Actor = { type: 'system', id: null, role: 'admin', name: 'import (command line)' };

runCli(async () => {
  const usage = 'Usage: npm run import -- <file.ndjson | -> [--json]   import cases from NDJSON (- for standard input; docs/import.md)';
  const { options: args, args: [file] } = readCommandLine(process.argv.slice(2), { usage, options: { json: 'flag' }, positional: 1 });
  if (!file) throw new UsageError('Name the file to import.', usage);
  const input = file === '-' ? process.stdin : fs.createReadStream(file);
  const cli = await openForCli();
  try {
    const summary = await importCases(cli.services, ndjsonLines(input), IMPORT_ACTOR, {
      onEvent(event) {
        if (event.type === 'error') process.stderr.write(`line ${event.line}: ${event.code} ${event.detail}\n`);
        if (event.type === 'progress') process.stderr.write(`… ${event.line} lines: ${event.imported} imported, ${event.skipped} skipped, ${event.failed} failed\n`);
      },
    });
    await drainOutboxFully(cli.services);
    if (args.has('json')) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else process.stdout.write(`${summary.lines} lines: ${summary.imported} imported, ${summary.skipped} already imported (skipped), ${summary.failed} failed\n`);
    if (summary.failed > 0) process.exitCode = 2;
  } finally {
    await cli.close();
  }
});
