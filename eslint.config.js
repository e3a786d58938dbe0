// A type-aware lint of promises only (issue 16, phase 2): a command that became async and a
// caller that forgot `await` is the one mistake tsc cannot see. Not a style lint: every rule
// here is about a promise that is dropped, misused, awaited needlessly or returned unawaited
// from a try block (where its rejection would escape the catch/finally). Run it with
// `npm run lint` (scripts/lint.ts: it also checks that test/fixtures/lint/ still fails).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', 'drizzle/**', 'coverage/**', 'public/**', '**/*.js', '**/*.cjs', '**/*.mjs'],
  },
  {
    files: ['src/**/*.{ts,tsx}', 'views/**/*.{ts,tsx}', 'scripts/**/*.{ts,tsx}', 'test/**/*.{ts,tsx}', 'bench/**/*.{ts,tsx}'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    // Comments that disable rules of other linters (no-explicit-any…) are not ours to judge.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Not require-await: its findings today are all deliberate — `async` on a function that
      // must return a promise so that a synchronous throw becomes a rejection (scheduler jobs,
      // Hono handlers, test doubles). What it would catch after the conversion, a forgotten
      // `await`, no-floating-promises catches.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
);
