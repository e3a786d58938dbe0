/**
 * The command-line scripts as an operator first meets them: `--help` prints the usage and
 * does nothing else (before, `npm run bench:seed -- --help` built a million-case store and
 * `npm run sla:sweep -- --help` ran a sweep); an option a script does not take stops it before
 * it touches anything (a typo never runs it with its defaults: `report --form …` built and
 * mailed the last day's report); and a database that is not there is not created by a script
 * run from the wrong folder. The real scripts, as `npm run` runs them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/harness.js';
import { npmScripts, runScript } from '../support/server.js';
import { openDatabase } from '../../src/db/client.js';

/** `npm run <name>` → its script file, from package.json. */
const SCRIPTS = (() => {
  const out = new Map<string, string>();
  for (const [name, command] of Object.entries(npmScripts())) {
    // An operational script from the build (scripts/run.mjs), a developer's tool through tsx.
    const built = /^node scripts\/run\.mjs ([\w-]+)$/.exec(command)?.[1];
    const file = built ? `scripts/${built}.ts` : /^node --import tsx ((?:scripts|bench)\/[\w-]+\.ts)$/.exec(command)?.[1];
    if (file && file !== 'bench/index.ts') out.set(name, file);
  }
  return out;
})();

let dir: string;
let databasePath: string;
beforeAll(() => {
  dir = tempDir();
  databasePath = path.join(dir, 'data', 'casebook.db');
});

describe('the command-line scripts', () => {
  it('named in the README and docs/ (`npm run x`) all exist', () => {
    const scripts = npmScripts();
    const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => path.join('docs', f))];
    const named = new Set(docs.flatMap((file) => [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/npm run ([a-z][\w:-]*)/g)].map((m) => m[1]!)));
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((name) => !(name in scripts))).toEqual([]);
  });

  it('are all covered here', () => {
    expect([...SCRIPTS.keys()].sort()).toEqual(['backup', 'bench:seed', 'db:migrate-to-postgres', 'db:pg-schema', 'import', 'lint', 'report', 'restore', 'rules:export', 'rules:import', 'sla:sweep', 'vacuum']);
  });

  it('scripts/run.mjs names the scripts it runs when given another', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['scripts/run.mjs', 'lint'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('close', (code) => resolve({ code, stderr }));
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^scripts\/run\.mjs runs one of backup, .*; not "lint"\n$/);
  });

  it('--help prints the usage and does nothing else', async () => {
    const results = await Promise.all([...SCRIPTS].map(async ([name, file]) => ({ name, result: await runScript(file, ['--help'], { DATABASE_PATH: databasePath }) })));
    for (const { name, result } of results) {
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      expect(result.stdout.startsWith(`Usage: npm run ${name}`), `${name}: ${result.stdout}`).toBe(true);
      expect(result.stderr).toBe('');
    }
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('an option a script does not take stops it with the usage before it opens anything (src/cli.test.ts has the rest)', async () => {
    const typo = await runScript('scripts/report.ts', ['--form', '2026-03-01'], { DATABASE_PATH: databasePath });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^Unknown option --form\.\nUsage: npm run report -- /);
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('report: an --at-risk-hours that is not a number of hours stops it before it opens anything (it was passed on unchecked)', async () => {
    for (const value of ['abc', '-1', '']) {
      const bad = await runScript('scripts/report.ts', ['--at-risk-hours', value, '--no-email'], { DATABASE_PATH: databasePath });
      expect(bad.code, bad.stderr).toBe(1);
      expect(bad.stderr).toBe(`--at-risk-hours needs a number of business hours from 0 to 200 (not "${value}")\n`);
    }
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('a database that is not there is named, not created', async () => {
    const result = await runScript('scripts/sla-sweep.ts', [], { DATABASE_PATH: databasePath });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`There is no database at ${databasePath}. Run this where you run npm start, or set DATABASE_PATH to the server's database (npm start creates it on its first start), or DATABASE_URL to its PostgreSQL database.\n`);
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('report --out and rules:export to a folder that cannot be made stop at once, before a report is stored or mailed (a folder under /proc made them spin for ever)', async () => {
    // Node's mkdirSync with `recursive` reads a mkdir's ENOENT as "the parent is missing" and
    // tries the parent again; /proc refuses every new folder with ENOENT although it exists, so
    // `--out /proc/x` looped at full CPU and never ended (src/db/make-folder.ts).
    const file = path.join(tempDir(), 'casebook.db');
    openDatabase(file).$client.close();
    const reports = () => {
      const db = openDatabase(file, { migrate: false });
      try {
        return db.$client.prepare<[], { n: number }>('SELECT count(*) AS n FROM sla_reports').get()!.n;
      } finally {
        db.$client.close();
      }
    };
    const report = await runScript('scripts/report.ts', ['--out', '/proc/casebook-reports', '--no-email'], { DATABASE_PATH: file });
    expect(report.code, report.stderr).toBe(1);
    expect(report.stderr).toBe('--out /proc/casebook-reports cannot be made or written (ENOENT); nothing was built\n');
    expect(reports()).toBe(0);
    const exported = await runScript('scripts/rules-export.ts', ['--rules-dir', '/proc/casebook-rules', '--workflows-dir', '/proc/casebook-workflows'], { DATABASE_PATH: file });
    expect(exported.code, exported.stderr).toBe(1);
    expect(exported.stderr).toMatch(/^ENOENT: .*mkdir '\/proc\/casebook-rules'\n$/);
  }, 240_000);
});
