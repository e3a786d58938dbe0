import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Vitest's default is one worker fewer than the cores: on the 2-core machines we run on,
    // one file at a time. Most files wait on a browser, a mail server or a child process, so
    // two files side by side finish the suite in far less time (the whole suite passes with
    // three workers on a loaded machine); `--maxWorkers=N` still overrides it.
    maxWorkers: 2,
  },
});
