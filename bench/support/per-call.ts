/**
 * Best µs per call of each of `fns`: `warmUp` calls each first, then `passes` passes of
 * `perPass` calls, the functions interleaved pass by pass so that a slow moment of a loaded
 * machine falls on one pass of one of them, not on all of one.
 */
export async function bestPerCall(fns: (() => Promise<unknown>)[], options: { perPass: number; passes?: number; warmUp?: number }): Promise<number[]> {
  const { perPass, passes = 5, warmUp = perPass } = options;
  for (const fn of fns) for (let i = 0; i < warmUp; i++) await fn();
  const best = fns.map(() => Number.POSITIVE_INFINITY);
  for (let p = 0; p < passes; p++) {
    for (const [k, fn] of fns.entries()) {
      const start = performance.now();
      for (let i = 0; i < perPass; i++) await fn();
      best[k] = Math.min(best[k]!, ((performance.now() - start) * 1000) / perPass);
    }
  }
  return best;
}
