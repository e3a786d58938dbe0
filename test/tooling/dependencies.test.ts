/**
 * The import rules of src/ (.dependency-cruiser.cjs): no cycles, the composition root used
 * only by the entry points, and lower layers (db, outbox, the workflow engine) never importing
 * the layers above them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

async function check(files: string[]): Promise<ICruiseResult> {
  const config = require(path.join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;
  const result = await cruise(files, { ...config.options, baseDir: ROOT, validate: true, ruleSet: { forbidden: config.forbidden } });
  return result.output as ICruiseResult;
}

function describeViolations(result: ICruiseResult): string[] {
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => (typeof c === 'string' ? c : c.name)).join(' → ')})` : ''}`);
}

describe('the import graph of src/', () => {
  it('has no cycles and no imports from a lower layer up', async () => {
    const result = await check(['src']);
    expect(result.summary.totalCruised).toBeGreaterThan(200);
    expect(describeViolations(result)).toEqual([]);
  }, 60_000);
});
