/**
 * Summary statistics for the dashboard. Percentiles use the nearest-rank method: the p-th
 * percentile of n sorted values is the value at 1-based rank ⌈p/100 × n⌉ — always one of
 * the values, never an interpolation. The median is the 50th percentile, so for an even
 * count it is the lower of the two middle values (values 1, 2, 3, 4 → median 2, p90 4).
 */

/** Nearest-rank percentile of ascending `sorted` values; null when there are none. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Summary {
  count: number;
  total: number;
  /** total / count; null without values. */
  mean: number | null;
  median: number | null;
  p90: number | null;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((sum, v) => sum + v, 0);
  return {
    count: sorted.length,
    total,
    mean: sorted.length === 0 ? null : total / sorted.length,
    median: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
  };
}

/** part / whole × 100, one decimal; null when whole is 0. */
export function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 1000) / 10;
}
