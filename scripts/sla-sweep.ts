/** `npm run sla:sweep`: record the SLA warnings, breaches and queue wait alerts due now and perform the work they cause. */
import { openForCli, readCommandLine, runCli } from '../src/cli.js';
import { runSlaSweep } from '../src/sla/run-sweep.js';

runCli(async () => {
  const { options: args } = readCommandLine(process.argv.slice(2), {
    usage: 'Usage: npm run sla:sweep [-- --json]   record the SLA warnings, breaches and queue wait alerts due now and do the work they cause',
    options: { json: 'flag' },
  });
  const cli = await openForCli();
  try {
    const run = await runSlaSweep(cli.services);
    if (args.has('json')) {
      process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
      return;
    }
    const { sweep, waiting, outbox } = run;
    process.stdout.write(`SLA sweep at ${sweep.at}: ${sweep.warnings} warning(s), ${sweep.breaches} breach(es)` +
      (sweep.skipped > 0 ? `, ${sweep.skipped} already recorded by another sweep` : '') + '\n');
    for (const e of sweep.entries) process.stdout.write(`  ${e.type.padEnd(12)} ${e.caseId.padEnd(8)} ${e.metric.padEnd(14)} due ${e.dueAt}\n`);
    if (sweep.truncated) process.stdout.write('  … (use --json for the first entries, the timeline for all)\n');
    if (waiting.alerted > 0) process.stdout.write(`Waiting too long (managers alerted): ${waiting.cases.join(', ')}${waiting.alerted > waiting.cases.length ? ' …' : ''}\n`);
    process.stdout.write(`Outbox: ${outbox.done} item(s) done, ${outbox.failed} failed (will be retried)\n`);
  } finally {
    await cli.close();
  }
});
