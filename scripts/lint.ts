/**
 * `npm run lint`: the promise lint (eslint.config.js) over src/, views/, scripts/, test/ and
 * bench/. Fails on any finding, and unless test/fixtures/lint/floating.ts — a floating promise,
 * a misused one, a needless await, a return that lets a rejection escape its catch — gets
 * exactly its expected findings: a config that stopped checking would otherwise pass. One
 * TypeScript program for all (35–39 s of CPU here), so it runs in .ci/run before `npm test`,
 * not inside it.
 */
import path from 'node:path';
import { readCommandLine, UsageError } from '../src/cli.js';
import { REPO_ROOT } from '../src/repo-root.js';

try {
  readCommandLine(process.argv.slice(2), {
    usage: 'Usage: npm run lint   the promise lint (eslint.config.js) over src/, views/, scripts/, test/ and bench/; fails on any finding',
    options: {},
  });
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n${error.usage}\n`);
  process.exit(1);
}

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'lint', 'floating.ts');
/** The fixture's findings: line and rule. */
const EXPECTED = [
  '8 @typescript-eslint/no-floating-promises',
  '11 @typescript-eslint/no-misused-promises',
  '16 @typescript-eslint/return-await',
  '16 @typescript-eslint/await-thenable',
  '21 @typescript-eslint/return-await',
];

// Loaded once the command line is read: ESLint and its TypeScript parser take seconds to load,
// and `--help` or a typo should not wait for them.
const { ESLint } = await import('eslint');
const eslint = new ESLint({ cwd: REPO_ROOT });
const results = await eslint.lintFiles(['src', 'views', 'scripts', 'test', 'bench']);
const fixture = results.find((result) => result.filePath === FIXTURE);
const others = results.filter((result) => result !== fixture);
const found = (fixture?.messages ?? []).map((m) => `${m.line} ${m.ruleId ?? m.message}`);

const problems = others.reduce((n, result) => n + result.errorCount + result.warningCount, 0);
if (problems > 0) {
  const formatter = await eslint.loadFormatter('stylish');
  process.stdout.write(await formatter.format(others));
}
const fixtureOk = found.length === EXPECTED.length && EXPECTED.every((line) => found.includes(line));
if (!fixtureOk) {
  process.stderr.write(`lint: ${path.relative(REPO_ROOT, FIXTURE)} should have these findings:\n  ${EXPECTED.join('\n  ')}\nbut had:\n  ${found.join('\n  ') || '(none)'}\n`);
}
process.stdout.write(`lint: ${results.length} files, ${problems} problem(s)${fixtureOk ? '' : ', the fixture check failed'}\n`);
process.exitCode = problems > 0 || !fixtureOk ? 1 : 0;
