// Pure surge math: is the count of some errors in a recent window unusual compared with the rate
// over a longer baseline window before it? No I/O; the API feeds it counts from the rollups.

export interface SurgeThresholds {
  /** Fewest errors in the window for a surge (so 1 vs 0 is never one). */
  minCount: number;
  /** Smallest count/expected ratio for a surge. */
  ratio: number;
  /** Smallest z-score for a surge; undefined means not checked. */
  z?: number | undefined;
  /**
   * Floor for the expected count, so a quiet baseline does not turn every error into an infinite
   * ratio. Default 1: "at least one such error per window would have been normal".
   */
  expectedFloor?: number | undefined;
}

export interface SurgeInput {
  /** Matching errors in the recent window. */
  count: number;
  /** Matching errors in the baseline window. */
  baselineCount: number;
  windowMs: number;
  baselineMs: number;
}

export interface SurgeResult {
  /** Baseline rate scaled to the recent window. */
  expected: number;
  /** count / max(expected, floor). */
  ratio: number;
  /** Poisson z-score: (count - expected) / sqrt(max(expected, floor)). */
  score: number;
  /** 1 when surging, else 0 (a number, so an alert can threshold it). */
  surging: 0 | 1;
}

const DEFAULT_EXPECTED_FLOOR = 1;

/** Rate per millisecond over the baseline. */
export function baselineRate(baselineCount: number, baselineMs: number): number {
  if (baselineMs <= 0) return 0;
  return Math.max(0, baselineCount) / baselineMs;
}

export function expectedCount(baselineCount: number, baselineMs: number, windowMs: number): number {
  return baselineRate(baselineCount, baselineMs) * Math.max(0, windowMs);
}

export function surgeRatio(count: number, expected: number, floor = DEFAULT_EXPECTED_FLOOR): number {
  return count / Math.max(expected, floor);
}

/**
 * For a Poisson count with mean `expected`, the standard deviation is sqrt(expected); the floor
 * keeps the score finite when the baseline is empty.
 */
export function poissonZ(count: number, expected: number, floor = DEFAULT_EXPECTED_FLOOR): number {
  return (count - expected) / Math.sqrt(Math.max(expected, floor));
}

export function isSurging(count: number, ratio: number, score: number, t: SurgeThresholds): boolean {
  if (count < t.minCount) return false;
  if (ratio < t.ratio) return false;
  if (t.z !== undefined && score < t.z) return false;
  return true;
}

export function evaluateSurge(input: SurgeInput, t: SurgeThresholds): SurgeResult {
  const floor = t.expectedFloor ?? DEFAULT_EXPECTED_FLOOR;
  if (!(floor > 0)) throw new RangeError('expectedFloor must be > 0');
  const expected = expectedCount(input.baselineCount, input.baselineMs, input.windowMs);
  const ratio = surgeRatio(input.count, expected, floor);
  const score = poissonZ(input.count, expected, floor);
  return { expected, ratio, score, surging: isSurging(input.count, ratio, score, t) ? 1 : 0 };
}
