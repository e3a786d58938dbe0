/**
 * `npm test` on a fresh machine: the pretest script installs what the tests start
 * (Chromium, Dovecot…) when it can, and otherwise stops with the command to run; `.ci/run`
 * gets them through sudo when it is not root. The scripts run for real; `id`, `apt-get`,
 * `sudo` and `npm` are stand-ins on a PATH that holds nothing else (but bash, cat, chmod,
 * dirname, env and true).
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

interface RunOptions {
  uid: number;
  list?: string;
  provides?: Record<string, string[]>;
  aptFails?: boolean;
  /** No apt-get on PATH (not Debian). */
  noApt?: boolean;
  /** A sudo on PATH: `nopasswd` runs the command as root, `password` asks for one (and fails without a terminal). */
  sudo?: 'nopasswd' | 'password';
  env?: Record<string, string>;
}

/** A PATH of stand-ins: `id` answers `uid` (0 under the sudo stand-in), apt-get installs by creating the files in `provides`. */
function standIns(dir: string, options: RunOptions): { bin: string; log: string } {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const log = path.join(dir, 'calls.log');
  for (const tool of ['bash', 'cat', 'chmod', 'dirname', 'env', 'true']) fs.symlinkSync(fs.realpathSync(`/bin/${tool}`), path.join(bin, tool));
  fs.writeFileSync(path.join(bin, 'id'), `#!/bin/sh\necho "\${FAKE_UID:-${options.uid}}"\n`, { mode: 0o755 });
  if (options.sudo) {
    const body = options.sudo === 'nopasswd' ? `[ "$1" = -n ] && shift\nFAKE_UID=0 exec "$@"\n` : `echo "sudo: a password is required" >&2\nexit 1\n`;
    fs.writeFileSync(path.join(bin, 'sudo'), `#!/bin/bash\necho "sudo $*" >> '${log}'\n${body}`, { mode: 0o755 });
  }
  fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "npm $*" >> '${log}'\n`, { mode: 0o755 });
  const installs = Object.entries(options.provides ?? {})
    .map(([pkg, files]) => `  case " $* " in *" ${pkg} "*) ${files.map((f) => `printf '#!/bin/sh\\n' > '${f}'; chmod +x '${f}'`).join('; ')} ;; esac`)
    .join('\n');
  if (!options.noApt) {
    fs.writeFileSync(
      path.join(bin, 'apt-get'),
      `#!/bin/sh\necho "apt-get $*" >> '${log}'\n${options.aptFails ? 'exit 100\n' : ''}if [ "$1" = install ] || [ "$2" = install ] || [ "$3" = install ]; then\n${installs}\n  :\nfi\nexit 0\n`,
      { mode: 0o755 },
    );
  }
  return { bin, log };
}

function calls(log: string, prefix?: string): string[] {
  const all = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  return prefix === undefined ? all : all.filter((c) => c.startsWith(`${prefix} `)).map((c) => c.slice(prefix.length + 1));
}

function runScript(script: string, options: RunOptions): Run & { calls: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pretest-'));
  dirs.push(dir);
  const { bin, log } = standIns(dir, options);
  const env: Record<string, string> = { PATH: bin, HOME: dir, ...(options.env ?? {}) };
  if (options.list !== undefined) env.TEST_PREREQUISITES = options.list.replaceAll('$DIR', dir);
  const result = spawnSync('/bin/bash', [script], { env, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr, aptCalls: calls(log, 'apt-get'), calls: calls(log) };
}

/** Runs the pretest script with `uid` as the user. */
function run(options: RunOptions): Run {
  const { status, stderr, aptCalls } = runScript(SCRIPT, options);
  return { status, stderr, aptCalls };
}

describe('scripts/pretest.sh (npm test runs it first)', () => {
  it('is the pretest step of npm test, and lists Chromium, Dovecot and PostgreSQL', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe('bash scripts/pretest.sh');
    const script = fs.readFileSync(SCRIPT, 'utf8');
    // Debian's headless build of Chromium by default (test/browser/support.ts launches the same path)
    expect(script).toContain('CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium-headless-shell}"');
    expect(script).toMatch(/^\$CHROMIUM\s+\$CHROMIUM_PACKAGE\s/m);
    expect(script).toMatch(/\/usr\/sbin\/dovecot\s+dovecot-imapd\s/);
    // any version: test/support/postgres.ts takes the newest /usr/lib/postgresql/<version>/bin
    expect(script).toMatch(/\/usr\/lib\/postgresql\/\*\/bin\/postgres\s+postgresql\s/);
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
    const r = run({ uid: 1000, sudo: 'password', list: `$DIR/chromium  chromium  browser tests\n/bin/sh  dash  a shell\n$DIR/dovecot  dovecot-imapd  mail tests` });
    expect(r.status).toBe(1);
    expect(r.aptCalls).toEqual([]);
    expect(r.stderr).toContain('chromium  (provides');
    expect(r.stderr).toContain('dovecot-imapd  (provides');
    expect(r.stderr).not.toContain('dash');
    expect(r.stderr).toContain("sudo sh -c 'apt-get update && apt-get install -y chromium dovecot-imapd'");
  });

  it('without root and without sudo, the command is given with su; without apt-get, the packages to find', () => {
    const list = `$DIR/chromium  chromium  browser tests`;
    const noSudo = run({ uid: 1000, list });
    expect(noSudo.status).toBe(1);
    expect(noSudo.stderr).toContain("su -c 'apt-get update && apt-get install -y chromium'");
    expect(noSudo.stderr).not.toContain('sudo');
    const noApt = run({ uid: 1000, list, noApt: true, sudo: 'nopasswd' });
    expect(noApt.status).toBe(1);
    expect(noApt.stderr).toContain('chromium  (provides');
    expect(noApt.stderr).toContain('not a Debian/Ubuntu system (no apt-get): install them with its package manager');
    expect(run({ uid: 0, list, noApt: true }).stderr).toContain('no apt-get');
  });

  it('checks the Chromium the browser tests use (CHROMIUM_PATH)', () => {
    const r = run({ uid: 1000, env: { CHROMIUM_PATH: '/nonexistent/chromium' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('chromium  (provides /nonexistent/chromium: browser tests');
    // the headless build asks for its own package
    const shell = run({ uid: 1000, env: { CHROMIUM_PATH: '/nonexistent/chromium-headless-shell' } });
    expect(shell.status).toBe(1);
    expect(shell.stderr).toContain('chromium-headless-shell  (provides /nonexistent/chromium-headless-shell: browser tests');
  });
});

describe('.ci/run (CI from a clean clone)', () => {
  const CI = path.join(ROOT, '.ci', 'run');
  const missing = `$DIR/chromium  chromium  browser tests`;

  it('with everything installed: npm ci, the promise lint, the typecheck, then npm test, no sudo', () => {
    const r = runScript(CI, { uid: 1000, sudo: 'nopasswd', list: `/bin/sh  dash  a shell` });
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual(['npm ci --no-audit --no-fund', 'npm run lint', 'npm run typecheck', 'npm test']);
  });

  it('not root, with sudo: installs what is missing through sudo, without a prompt, before npm ci', () => {
    const r = runScript(CI, { uid: 1000, sudo: 'nopasswd', list: missing, provides: { chromium: [] } });
    // the stand-in apt-get "installs" nothing here: the script under sudo says so and CI stops
    expect(r.status).toBe(1);
    expect(r.calls.slice(0, 4)).toEqual(['sudo -n true', 'sudo -n env bash scripts/pretest.sh', 'apt-get update -qq', 'apt-get install -y -qq chromium']);
    expect(r.stderr).toContain('still missing after installing: chromium');
    expect(r.calls.filter((c) => c.startsWith('npm'))).toEqual([]);
  });

  it('not root, with sudo: carries on with npm ci and npm test once apt installed them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-ci-files-'));
    dirs.push(dir);
    const chromium = path.join(dir, 'chromium');
    const r = runScript(CI, { uid: 1000, sudo: 'nopasswd', list: `${chromium}  chromium  browser tests`, provides: { chromium: [chromium] } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual(['sudo -n true', 'sudo -n env bash scripts/pretest.sh', 'apt-get update -qq', 'apt-get install -y -qq chromium', 'npm ci --no-audit --no-fund', 'npm run lint', 'npm run typecheck', 'npm test']);
  });

  it('neither root nor sudo without a password: stops at once with what to do, nothing downloaded', () => {
    for (const sudo of [undefined, 'password'] as const) {
      const r = runScript(CI, { uid: 1000, ...(sudo ? { sudo } : {}), list: missing });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('.ci/run: the tests need programs that are not installed, and this user is not root and has no sudo without a password.');
      expect(r.stderr).toContain('run .ci/run as root, or install them first');
      expect(r.stderr).toContain('apt-get update && apt-get install -y chromium');
      expect(r.aptCalls).toEqual([]);
      expect(r.calls.filter((c) => c.startsWith('npm'))).toEqual([]);
    }
  });

  it('as root: npm test installs what is missing itself', () => {
    const r = runScript(CI, { uid: 0, list: missing });
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual(['npm ci --no-audit --no-fund', 'npm run lint', 'npm run typecheck', 'npm test']);
  });
});
