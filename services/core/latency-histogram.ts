// Latency as a mergeable histogram: fixed log-scale buckets (the idea of OpenTelemetry's exponential
// histogram and DDSketch), so rollup rows add up with a plain sumMap and quantiles are read at query
// time with a bounded relative error. Pure.
//
// Bucket 0 holds latencies below 1 ms. Bucket i >= 1 holds (GAMMA^(i-2), GAMMA^(i-1)] ms and is read
// back as 2·GAMMA^(i-1)/(GAMMA+1), which is within (GAMMA-1)/(GAMMA+1) = RELATIVE_ERROR of every value
// in the bucket. A quantile is the value of the bucket holding the nearest-rank element, so it is
// within RELATIVE_ERROR of the exact nearest-rank quantile.

/** Largest relative error of a quantile read from the histogram (slightly under 5%, for float slack). */
export const RELATIVE_ERROR = 0.0495;
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LN_GAMMA = Math.log(GAMMA);

/** The bucket of a latency in ms (non-negative). */
export function latencyBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.max(1, Math.ceil(Math.log(ms) / LN_GAMMA - 1e-9) + 1);
}

/** The value a bucket is read back as. */
export function bucketValue(bucket: number): number {
  return bucket <= 0 ? 0 : (2 * GAMMA ** (bucket - 1)) / (GAMMA + 1);
}

/** A histogram being filled: bucket -> count. */
export type Histogram = Map<number, number>;

export function addLatency(h: Histogram, ms: number): void {
  const b = latencyBucket(ms);
  h.set(b, (h.get(b) ?? 0) + 1);
}

/** (buckets, counts) sorted by bucket: the stored form. */
export function histogramArrays(h: Histogram): [number[], number[]] {
  const buckets = [...h.keys()].sort((a, b) => a - b);
  return [buckets, buckets.map((b) => h.get(b) as number)];
}

// The rank q·n is computed with a 1e-9 slack: 0.9 * 10 is 9.000000000000002 in floating point.

/** Nearest-rank quantile of a stored histogram; null when it is empty. */
export function histogramQuantile(buckets: readonly number[], counts: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total - 1e-9));
  let cum = 0;
  for (let i = 0; i < buckets.length; i++) {
    cum += counts[i] as number;
    if (cum >= rank) return bucketValue(buckets[i] as number);
  }
  return bucketValue(buckets.at(-1) as number);
}

/** Exact nearest-rank quantile of sorted values (what the histogram approximates). */
export function exactQuantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(1, Math.ceil(q * sorted.length - 1e-9)) - 1] as number;
}
