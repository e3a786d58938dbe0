import { defineConfig } from 'vitest/config';

/** Tests in this process on the harness (test/support/harness.ts): the integration suite, run on each database. */
const INTEGRATION = ['api', 'pages', 'core', 'sla', 'manage', 'chat', 'integrations', 'privacy', 'search', 'scheduler', 'email', 'security', 'db'].map(
  (dir) => `test/${dir}/**/*.test.{ts,tsx}`,
);

/**
 * Integration files about SQLite itself, not run on PostgreSQL: its file, pragmas and
 * connection (test/postgres/ has their PostgreSQL counterparts).
 */
const SQLITE_ONLY = ['test/db/store-sqlite.test.ts'];

/**
 * Every project's servers start from the build `npm start` runs (test/support/server.ts): made
 * once, before any worker starts one, so two never write `dist/` at once (a no-op when current).
 */
const BUILD = 'test/support/build-global.ts';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Vitest's default is one worker fewer than the cores: on the 2-core machines we run on,
    // one file at a time. The run is in two groups (sequence.groupOrder below): first the files
    // that run the app in the worker (sqlite, postgres), three side by side, since most of them
    // wait on PostgreSQL or a mail server part of the time; then the files that start servers,
    // browsers and clusters of their own (processes), two side by side: each already runs several
    // processes, and with three, steps of a browser scenario took several times as long as alone
    // (timeouts, and races no user on an idle machine would meet, were what failed CI). A group
    // shares one worker count. `--maxWorkers=N` still overrides both.
    maxWorkers: 3,
    // scrypt at N = 2^10 instead of 2^15 for the passwords the suite sets and checks, in process
    // and in the servers it starts (they inherit the environment): honoured only under
    // NODE_ENV=test (src/auth/password.ts). Hashing at production cost was ~10 s of CPU in
    // each of the sign-in files alone.
    env: { CASEBOOK_TEST_PASSWORD_COST: '10' },
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          sequence: { groupOrder: 0 },
          include: ['src/**/*.test.{ts,tsx}', ...INTEGRATION],
          globalSetup: [BUILD],
          // One module graph per worker, not per file: importing the app again for each of
          // ~190 files cost more than their tests (import 45 s → 9 s for test/api + test/pages).
          // These files share no module state: each builds its own harness and services.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          sequence: { groupOrder: 0 },
          include: INTEGRATION,
          exclude: SQLITE_ONLY,
          env: { CASEBOOK_TEST_DATABASE: 'postgres' },
          globalSetup: [BUILD, 'test/support/postgres-global.ts'],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // Browsers, servers in child processes, crashes, clusters of their own.
          name: 'processes',
          sequence: { groupOrder: 1 },
          maxWorkers: 2,
          include: ['test/{browser,reliability,ops,tooling,postgres}/**/*.test.{ts,tsx}'],
          // A browser scenario is tens of steps through a real server and Chromium; inside a full
          // run on two cores each step can take several times as long as alone (a 7 s test took
          // over 30 s). The timeout is there to catch a hang, not to time the steps: the
          // benchmarks time things. Explicit waits in test/browser use Playwright's 30 s default.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: [BUILD],
          // One module graph per worker here too: these files start their servers, browsers
          // and clusters themselves and share no module state; importing the test support (and
          // the app behind it) again per file cost ~150 s of CPU in a full run.
          isolate: false,
        },
      },
    ],
  },
});
