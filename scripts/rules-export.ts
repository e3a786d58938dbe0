/** `npm run rules:export [-- --rules-dir DIR --workflows-dir DIR]`: write the published definitions to files. */
import path from 'node:path';
import { openForCli, parseArgs, runCli } from '../src/cli.js';
import { exportDefinitions } from '../src/definitions/export-import.js';

runCli(() => {
  const args = parseArgs(process.argv.slice(2));
  const cli = openForCli();
  try {
    const rulesDir = path.resolve(String(args.get('rules-dir') ?? cli.config.rulesDir));
    const workflowsDir = path.resolve(String(args.get('workflows-dir') ?? cli.config.workflowsDir));
    for (const c of exportDefinitions(cli.services, { rulesDir, workflowsDir })) {
      process.stdout.write(`${c.changed ? 'wrote    ' : 'unchanged'} ${path.relative(process.cwd(), c.file)} (${c.kind} ${c.name} v${c.version})\n`);
    }
  } finally {
    cli.close();
  }
});
