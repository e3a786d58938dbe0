/**
 * Browser test support: the real server (started as `npm start` starts it) on a temp
 * database and a free port, Debian's Chromium through playwright-core, axe-core run
 * inside the page, and screenshots under test-results/screenshots/ (git-ignored) with
 * CASEBOOK_SCREENSHOTS=1.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Cookie, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { problems } from '../../src/db/schema/index.js';
import { ADMIN_TOKEN, createHarness, ROOT, standardQueues } from '../support/harness.js';
import { freePort, startServer as startRealServer } from '../support/server.js';

export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');
/**
 * Debian's Chromium in its headless build (package chromium-headless-shell, what Playwright runs
 * for headless by default): the same Blink and V8 as `chromium`, without the desktop browser's
 * hidden window and spare renderers. The browser files took 1,200 s of file time in a full
 * processes run with `chromium --headless` (156), 710 s with it; Chromium's CPU 1,010 → 446 s.
 * CHROMIUM_PATH=/usr/bin/chromium runs them in the full browser (scripts/pretest.sh checks it).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface Server {
  url: string;
  /** The server's SQLite file (a test may set up there what only time would bring, e.g. a line written minutes ago). */
  dbPath: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
  api(method: string, url: string, body?: unknown): Promise<Response>;
}

const PROBLEMS = [
  { title: 'Charged twice for one invoice', symptoms: 'charged twice, double charge, duplicate payment, invoice paid twice', solution: 'A second charge is usually a pending authorisation that disappears within 3 business days.' },
  { title: 'Cannot log in after a password reset', symptoms: 'login fails, password reset link expired, cannot sign in', solution: 'Request a new reset link and open it in the same browser.' },
];

/** Sessions signed in on the sign-in page, per server, account and password: their cookies and the page sign-in led to. */
const sessions = new Map<string, { cookies: Cookie[]; landing: string }>();

/** Seeds the demo queue layout and a small problem library, then starts the server on that database (with `env` added to its environment). */
export async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const h = createHarness({ start: Date.now() });
  standardQueues(h);
  const now = Date.now();
  for (const p of PROBLEMS) h.db.insert(problems).values({ ...p, createdAt: now, updatedAt: now }).run();
  const dbPath = h.dbPath;
  h.close();

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startRealServer({ databasePath: dbPath, port, env: { PUBLIC_URL: url, ...env } });
  return {
    url,
    dbPath,
    process: server.child,
    output: server.output,
    async stop() {
      await server.stop();
      // A later server may get the same port: its sign-ins start from the form.
      for (const key of sessions.keys()) if (key.startsWith(`${url} `)) sessions.delete(key);
    },
    api(method, path, body) {
      return fetch(`${url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    },
  };
}

function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

let sharedBrowser: Promise<Browser> | undefined;

/**
 * The Chromium of this worker's browser files, launched by the first that asks. The files run
 * one after another in a worker that keeps its modules (vitest.config.ts: `isolate: false`), and
 * each works in contexts of its own (own cookies and storage), which it closes when it ends: a
 * launch per file was ~2.4 s in a full run, 24 times. Playwright ends the browser when the
 * worker exits; one that crashed or was closed is launched again.
 */
export function sharedChromium(): Promise<Browser> {
  sharedBrowser ??= launchChromium().then(
    (browser) => {
      browser.on('disconnected', () => (sharedBrowser = undefined));
      return browser;
    },
    (error: unknown) => {
      sharedBrowser = undefined;
      throw error;
    },
  );
  return sharedBrowser;
}

/** Fails on any Content-Security-Policy violation or page error: nothing inline may run. */
export function watchPage(page: Page): { problems: string[] } {
  const found: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy|Refused to/i.test(msg.text())) found.push(`${msg.text()} on ${page.url()}`);
  });
  page.on('pageerror', (error) => found.push(`page error: ${error.message}`));
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Refused by CSP: ${e.violatedDirective} on ${(e.target as Element | null)?.outerHTML?.slice(0, 120) ?? ''} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  page.on('dialog', (dialog) => {
    found.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { problems: found };
}

/**
 * Signs in on the sign-in page, as a user does, and lands where it leads. A later sign-in as the
 * same account on the same server (another page of the file) starts from the session the first
 * one made: its cookies, then the page it led to (one page load instead of three and a password
 * check; ~70 sign-ins were ~2.6 s each in a full run). Where that session no longer holds (signed
 * out, the account changed) the page is the sign-in page again, and the form is filled instead.
 */
export async function signIn(page: Page, server: Server, email: string, password: string): Promise<void> {
  const key = `${server.url} ${email} ${password}`;
  const known = sessions.get(key);
  if (known) {
    await page.context().addCookies(known.cookies);
    await page.goto(known.landing);
    if (!new URL(page.url()).pathname.startsWith('/login')) return;
    sessions.delete(key);
    await page.context().clearCookies();
  }
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
  sessions.set(key, { cookies: await page.context().cookies(server.url), landing: page.url() });
}

/**
 * Whether screenshots are saved: `CASEBOOK_SCREENSHOTS=1`. Each is a full-page render and a PNG
 * encoding, ~0.3 s of Chromium on an idle machine and several seconds inside a full run; the
 * suite takes ~150, and no test reads them back, so a plain `npm test` skips them. A failed
 * accessibility check saves its page whatever this says.
 */
export const SAVE_SCREENSHOTS = process.env.CASEBOOK_SCREENSHOTS === '1';

export async function screenshot(page: Page, name: string, fullPage = true, always = false): Promise<void> {
  if (!SAVE_SCREENSHOTS && !always) return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core in the page (evaluated source: a script tag would be blocked by our CSP). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // The page between requests: while htmx waits for an answer its buttons are dimmed (app.css),
  // which is not the contrast the page has.
  await page.waitForFunction(() => !document.querySelector('.htmx-request'));
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export interface UserSpec {
  email: string;
  name: string;
  role: 'customer' | 'agent' | 'advanced' | 'manager' | 'admin';
  password: string;
  queues?: string[];
  skills?: string[];
  /** Open cases at once (the users API's `capacity`; default 10). */
  capacity?: number;
  /** Live chats at once (the users API's `chatLimit`; default 3). */
  chatLimit?: number;
}

export interface BrowserSuite {
  /** Set once `beforeAll` ran. */
  server: Server;
  browser: Browser;
  /** A page in a fresh context (its own cookies), watched for CSP violations and page errors. */
  newPage(options?: { javaScriptEnabled?: boolean; width?: number; height?: number; timezoneId?: string }): Promise<Page>;
  /** Every CSP violation, page error or dialog seen on any page so far. */
  problems(): string[];
}

/**
 * Registers the suite's beforeAll/afterAll: the real server, Chromium, the given accounts
 * (through POST /api/v1/users), then `setup` for whatever history the tests need.
 */
export function useBrowserSuite(users: UserSpec[], setup?: (server: Server) => Promise<void>, options: { env?: Record<string, string> } = {}): BrowserSuite {
  const contexts: BrowserContext[] = [];
  const seen: string[][] = [];
  const suite = {
    newPage: async (options: { javaScriptEnabled?: boolean; width?: number; height?: number; timezoneId?: string } = {}) => {
      const context = await suite.browser.newContext({
        viewport: { width: options.width ?? 1366, height: options.height ?? 900 },
        javaScriptEnabled: options.javaScriptEnabled ?? true,
        ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
      });
      contexts.push(context);
      const page = await context.newPage();
      seen.push(watchPage(page).problems);
      return page;
    },
    problems: () => seen.flat(),
  } as BrowserSuite;
  beforeAll(async () => {
    suite.server = await startServer(options.env);
    suite.browser = await sharedChromium();
    for (const user of users) {
      const res = await suite.server.api('POST', '/api/v1/users', user);
      expect(res.status, await res.clone().text()).toBe(201);
    }
    await setup?.(suite.server);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await suite.server?.stop();
  });
  return suite;
}

/** Fail on serious or critical accessibility violations (the page's screenshot saved when it does, or when asked). */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const violations = await seriousViolations(page);
  await screenshot(page, name, true, violations.length > 0);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

/**
 * Holds the page's requests to `url` until `release()`: an answer that is slow exactly as long
 * as the test needs, with nothing slept. `asked()`: how many such requests the page has sent.
 */
/**
 * Moves `page`'s paused clock (`page.clock.install()`) on in steps of `stepMs` until `done()`,
 * never in one jump: a jump could land before the timer the page sets meanwhile exists (a retry
 * scheduled once a request failed), which then never fires. Returns how far the clock moved.
 */
export async function advanceClockUntil(page: Page, done: () => boolean, options: { stepMs: number; intervalMs: number; timeoutMs: number }): Promise<number> {
  let advanced = 0;
  await expect
    .poll(
      async () => {
        if (!done()) {
          await page.clock.runFor(options.stepMs);
          advanced += options.stepMs;
        }
        return done();
      },
      { interval: options.intervalMs, timeout: options.timeoutMs },
    )
    .toBe(true);
  return advanced;
}

export async function holdRequests(page: Page, url: string | RegExp): Promise<{ release: () => void; asked: () => number }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let asked = 0;
  await page.route(url, async (route) => {
    asked += 1;
    await released;
    await route.continue();
  });
  return { release, asked: () => asked };
}
