// The exact side of the latency-quantile checks: what the stored calls' latencies say, in plain JS.
import type { CallRecord } from '../../services/core/types.js';

/** The answer columns of the latency quantiles, with the quantile each one holds. */
export const LATENCY_QUANTILES = [
  ['latency_p50', 0.5],
  ['latency_p90', 0.9],
  ['latency_p99', 0.99],
] as const;

/** The latencies of the records that match (calls with a latency only), ascending. */
export function sortedLatencies(records: CallRecord[], match: (r: CallRecord) => boolean): number[] {
  return records
    .filter((r) => match(r) && r.latency_ms !== null)
    .map((r) => r.latency_ms as number)
    .sort((a, b) => a - b);
}
