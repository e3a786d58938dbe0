/** `npm run rules:export [-- --rules-dir DIR --workflows-dir DIR]`: write the published definitions to files. */
import path from 'node:path';
import { openForCli, readCommandLine, runCli } from '../src/cli.js';
import { exportDefinitions } from '../src/definitions/export-import.js';

runCli(async () => {
  const { options: args } = readCommandLine(process.argv.slice(2), {
    usage: 'Usage: npm run rules:export [-- --rules-dir DIR --workflows-dir DIR]   write the published definitions to the folders (default: RULES_DIR, WORKFLOWS_DIR)',
    options: { 'rules-dir': 'value', 'workflows-dir': 'value' },
  });
  const cli = await openForCli();
  try {
    const rulesDir = path.resolve(String(args.get('rules-dir') ?? cli.config.rulesDir));
    const workflowsDir = path.resolve(String(args.get('workflows-dir') ?? cli.config.workflowsDir));
    for (const c of await exportDefinitions(cli.services, { rulesDir, workflowsDir })) {
      process.stdout.write(`${c.changed ? 'wrote    ' : 'unchanged'} ${path.relative(process.cwd(), c.file)} (${c.kind} ${c.name} v${c.version})\n`);
    }
  } finally {
    await cli.close();
  }
});
