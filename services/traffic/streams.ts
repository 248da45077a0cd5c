// The ingest bench's two scenarios as chunks of NDJSON lines (the ingest-perf measurements use them):
// - backfill: history shipped at full speed (the replay generator);
// - live: a deployment's traffic (the demo scenario: each key belongs to one tenant and calls two
//   routes, the demo's error mix with its bursts and walls) at a given event-time rate.
import { generateLines } from './replay.js';
import { generateTraffic } from './scenario.js';

/** Backfill lines: the classifier benchmark's generator, in chunks of `size`. */
export function* backfillLines(n: number, size: number): Generator<string[]> {
  for (let start = 0, seed = 1; start < n; start += size, seed++) yield generateLines(Math.min(size, n - start), seed);
}

/**
 * Live lines: demo traffic at `rate` calls/s of event time, 200 keys each tied to one tenant and two
 * routes, starting at the daily peak (10:00 UTC+8) so the rhythm stays near 1 over the run.
 */
export function* liveLines(n: number, size: number, rate: number): Generator<string[]> {
  const startMs = Date.UTC(2026, 7, 3, 2, 0, 0);
  const endMs = startMs + Math.ceil((n / rate) * 1.5 + 60) * 1000;
  const gen = generateTraffic({ startMs, endMs, ratePerSec: rate, seed: 11, keys: 200, routesPerKey: 2, surgeKeys: 3 });
  let out: string[] = [];
  let total = 0;
  for (const env of gen) {
    out.push(JSON.stringify(env));
    total++;
    if (out.length === size || total === n) {
      yield out;
      out = [];
    }
    if (total === n) return;
  }
  if (out.length) yield out;
  if (total < n) throw new Error(`live traffic ran out after ${total} of ${n} calls`);
}
