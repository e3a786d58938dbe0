/**
 * The README's configuration table is the operator's list of settings: every environment
 * variable the server and its scripts read is in it (first column), and nothing in it is a
 * variable the code no longer reads. The benchmarks' and the tests' own variables are
 * documented where those are (docs/performance.md, the README's "Tests").
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/harness.js';

function files(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) files(rel, out);
    else if (/\.(ts|tsx|mjs)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(rel);
  }
  return out;
}

/** Names read as `env.NAME`, `env['NAME']` or `process.env.NAME` in the given folders, with a file that reads each. */
function readVariables(dirs: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of dirs.flatMap((d) => files(d))) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) {
      const name = (m[1] ?? m[2])!;
      if (!found.has(name)) found.set(name, file);
    }
  }
  return found;
}

/** The names in the first column of the README's configuration table. */
function tableVariables(): Set<string> {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const first = /^\|([^|]+)\|/.exec(line)?.[1];
    if (!first) continue;
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

/** Read from the environment but not settings of Casebook's. */
const NOT_SETTINGS = new Map([['USER', 'the login name, recorded as who ran npm run rules:import']]);

describe("the README's configuration table", () => {
  const table = tableVariables();
  const read = readVariables(['src', 'scripts']);

  it('has a row for every variable the server and its scripts read', () => {
    const missing = [...read].filter(([name]) => !table.has(name) && !NOT_SETTINGS.has(name)).map(([name, file]) => `${name} (read in ${file})`);
    expect(missing).toEqual([]);
  });

  it('has no row for a variable nothing reads', () => {
    expect([...table].filter((name) => !read.has(name))).toEqual([]);
  });

  it('is found (the test reads the right section)', () => {
    expect(table.size).toBeGreaterThan(40);
    for (const name of ['PORT', 'DATABASE_PATH', 'SMTP_URL', 'LOG_FORMAT', 'CRM_LOOKUP_URL']) expect(table).toContain(name);
  });
});

describe('variables of the benchmarks and the tests', () => {
  const read = readVariables(['src', 'scripts']);
  it('are documented where they are used', () => {
    const performance = fs.readFileSync(path.join(ROOT, 'docs/performance.md'), 'utf8');
    const bench = [...readVariables(['bench'])].filter(([name]) => !['PORT', 'DATABASE_PATH'].includes(name)).map(([name]) => name);
    expect(bench.length).toBeGreaterThan(0);
    expect(bench.filter((name) => !performance.includes(`\`${name}`))).toEqual([]);

    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const tests = readme.slice(readme.indexOf('## Tests'), readme.indexOf('\n## ', readme.indexOf('## Tests') + 1));
    const testVariables = [...readVariables(['test/support', 'test/browser'])].map(([name]) => name).filter((name) => !read.has(name) && !NOT_SETTINGS.has(name));
    const script = fs.readFileSync(path.join(ROOT, 'scripts/pretest.sh'), 'utf8');
    for (const m of script.matchAll(/\$\{([A-Z][A-Z0-9_]+):-/g)) testVariables.push(m[1]!);
    expect(testVariables.length).toBeGreaterThan(0);
    expect([...new Set(testVariables)].filter((name) => !tests.includes(`\`${name}`))).toEqual([]);
  });
});
