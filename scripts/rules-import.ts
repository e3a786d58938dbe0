/** `npm run rules:import [-- --rules-dir DIR --workflows-dir DIR]`: publish the files that differ from what is in force. */
import path from 'node:path';
import { openForCli, readCommandLine, runCli } from '../src/cli.js';
import { importDefinitions } from '../src/definitions/export-import.js';

runCli(async () => {
  const { options: args } = readCommandLine(process.argv.slice(2), {
    usage: 'Usage: npm run rules:import [-- --rules-dir DIR --workflows-dir DIR]   publish the definition files that differ from what is in force (default: RULES_DIR, WORKFLOWS_DIR)',
    options: { 'rules-dir': 'value', 'workflows-dir': 'value' },
  });
  const cli = await openForCli();
  try {
    const rulesDir = path.resolve(String(args.get('rules-dir') ?? cli.config.rulesDir));
    const workflowsDir = path.resolve(String(args.get('workflows-dir') ?? cli.config.workflowsDir));
    const actor = { type: 'system' as const, id: null, role: 'admin' as const, name: `rules:import (${process.env.USER ?? 'cli'})` };
    for (const c of await importDefinitions(cli.services, { rulesDir, workflowsDir }, actor)) {
      process.stdout.write(`${c.changed ? 'published' : 'unchanged'} ${c.kind} ${c.name} v${c.version}\n`);
    }
  } finally {
    await cli.close();
  }
});
