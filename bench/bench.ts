/**
 * The benchmark convention: every `bench/*.bench.ts` default-exports a `Bench`; `bench/index.ts`
 * runs them and prints one table. Every figure is measured beside a baseline taken in the same
 * run on the same data (the bare SQL, or the part of the work that cannot be avoided), and the
 * table shows the ratio: machines and runs differ by ±40 %, ratios much less.
 */
export interface BenchContext {
  /** Size of the store (open cases), from --cases (default 1,000,000). */
  cases: number;
  log(line: string): void;
}

export interface BenchRow {
  figure: string;
  /** Milliseconds. */
  ms: number;
  baseline: string;
  baselineMs: number;
  /** The goal for `ms`, when there is one. */
  goalMs?: number;
  /** What was counted (e.g. "10,000 breaches"). */
  note?: string;
}

export interface Bench {
  name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** Milliseconds `fn` takes (once). */
export async function time<T>(fn: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Median milliseconds over `runs` runs (after one warm-up run). */
export async function median(runs: number, fn: () => unknown): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
