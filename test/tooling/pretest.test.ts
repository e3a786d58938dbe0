/**
 * `npm test` on a fresh machine: the pretest script installs what the tests start
 * (Chromium, Dovecot…) when it can, and otherwise stops with the command to run. The
 * script runs for real; only `id` and `apt-get` are replaced by stand-ins on PATH.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/harness.js';

const SCRIPT = path.join(ROOT, 'scripts', 'pretest.sh');
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stderr: string;
  aptCalls: string[];
}

/** Runs the script with `uid` as the user and an apt-get that installs by creating the files in `provides`. */
function run(options: { uid: number; list?: string; provides?: Record<string, string[]>; aptFails?: boolean; env?: Record<string, string> }): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pretest-'));
  dirs.push(dir);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const log = path.join(dir, 'apt.log');
  fs.writeFileSync(path.join(bin, 'id'), `#!/bin/sh\necho ${options.uid}\n`, { mode: 0o755 });
  const installs = Object.entries(options.provides ?? {})
    .map(([pkg, files]) => `  case " $* " in *" ${pkg} "*) ${files.map((f) => `printf '#!/bin/sh\\n' > '${f}'; chmod +x '${f}'`).join('; ')} ;; esac`)
    .join('\n');
  fs.writeFileSync(
    path.join(bin, 'apt-get'),
    `#!/bin/sh\necho "$*" >> '${log}'\n${options.aptFails ? 'exit 100\n' : ''}if [ "$1" = install ] || [ "$2" = install ] || [ "$3" = install ]; then\n${installs}\n  :\nfi\nexit 0\n`,
    { mode: 0o755 },
  );
  const env: Record<string, string> = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: dir, ...(options.env ?? {}) };
  if (options.list !== undefined) env.TEST_PREREQUISITES = options.list.replaceAll('$DIR', dir);
  const result = spawnSync('/bin/bash', [SCRIPT], { env, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr, aptCalls: fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [] };
}

describe('scripts/pretest.sh (npm test runs it first)', () => {
  it('is the pretest step of npm test, and lists Chromium and Dovecot', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe('bash scripts/pretest.sh');
    const script = fs.readFileSync(SCRIPT, 'utf8');
    expect(script).toMatch(/\/usr\/bin\/chromium\}?\s+chromium\s/);
    expect(script).toMatch(/\/usr\/sbin\/dovecot\s+dovecot-imapd\s/);
  });

  it('does nothing when every program is there', () => {
    const r = run({ uid: 1000, list: `/bin/sh  dash  a shell` });
    expect(r).toEqual({ status: 0, stderr: '', aptCalls: [] });
  });

  it('takes a shell pattern for programs installed under a versioned path', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pretest-files-'));
    dirs.push(tmp);
    fs.mkdirSync(path.join(tmp, '17', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(tmp, '17', 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o755 });
    expect(run({ uid: 1000, list: `${tmp}/*/bin/postgres  postgresql  database tests` }).status).toBe(0);
    const missing = run({ uid: 1000, list: `${tmp}/*/bin/pg_ctl  postgresql  database tests` });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('install -y postgresql');
  });

  it('as root, fails loudly when apt succeeds but the program is still not there', () => {
    const r = run({ uid: 0, list: `$DIR/chromium  chromium  browser tests\n/bin/sh  dash  a shell`, provides: { chromium: [] } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('still missing after installing: chromium');
    expect(r.aptCalls).toEqual(['update -qq', 'install -y -qq chromium']);
  });

  it('as root, installs what is missing with apt and carries on', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pretest-files-'));
    dirs.push(tmp);
    const chromium = path.join(tmp, 'chromium');
    const dovecot = path.join(tmp, 'dovecot');
    const r = run({ uid: 0, list: `${chromium}  chromium  browser tests\n${dovecot}  dovecot-imapd  mail tests`, provides: { chromium: [chromium], 'dovecot-imapd': [dovecot] } });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('installing them: apt-get update && apt-get install -y chromium dovecot-imapd');
    expect(r.aptCalls).toEqual(['update -qq', 'install -y -qq chromium dovecot-imapd']);
    expect(fs.existsSync(chromium) && fs.existsSync(dovecot)).toBe(true);
  });

  it('as root, a failing apt stops the run with the command', () => {
    const r = run({ uid: 0, list: `$DIR/chromium  chromium  browser tests`, aptFails: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('apt-get failed');
    expect(r.stderr).toContain('apt-get update && apt-get install -y chromium');
  });

  it('without root, stops before any test with the one command to run', () => {
    const r = run({ uid: 1000, list: `$DIR/chromium  chromium  browser tests\n/bin/sh  dash  a shell\n$DIR/dovecot  dovecot-imapd  mail tests` });
    expect(r.status).toBe(1);
    expect(r.aptCalls).toEqual([]);
    expect(r.stderr).toContain('chromium  (provides');
    expect(r.stderr).toContain('dovecot-imapd  (provides');
    expect(r.stderr).not.toContain('dash');
    expect(r.stderr).toContain("sudo sh -c 'apt-get update && apt-get install -y chromium dovecot-imapd'");
  });

  it('checks the Chromium the browser tests use (CHROMIUM_PATH)', () => {
    const r = run({ uid: 1000, env: { CHROMIUM_PATH: '/nonexistent/chromium' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('chromium  (provides /nonexistent/chromium: browser tests');
  });
});
