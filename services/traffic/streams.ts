// The ingest bench's two scenarios as chunks of NDJSON lines (the ingest-perf measurements use them):
// - backfill: history shipped at full speed (the replay generator);
// - live: a deployment's traffic (the demo scenario: each key belongs to one tenant and calls two
//   routes, the demo's error mix with its bursts and walls) at a given event-time rate.
import { generateLines } from './replay.js';
import { generateTraffic } from './scenario.js';

/**
 * Backfill lines: the classifier benchmark's generator, in chunks of `size`, each chunk's calls from
 * `startMs` (default: a fixed day, for lines that never change; the bench passes a recent one, since
 * calls older than a table's retention are dropped at insert and would not be stored at all).
 */
export function* backfillLines(n: number, size: number, startMs?: number): Generator<string[]> {
  for (let start = 0, seed = 1; start < n; start += size, seed++)
    yield generateLines(Math.min(size, n - start), seed, startMs);
}

/**
 * Live lines: demo traffic at `rate` calls/s of event time, 200 keys each tied to one tenant and two
 * routes, starting at `startMs`, which should be a daily peak (02:00 UTC = 10:00 UTC+8) so the rhythm
 * stays near 1 over the run (default: a fixed one; the bench passes a recent one, see backfillLines).
 */
export function* liveLines(
  n: number,
  size: number,
  rate: number,
  startMs = Date.UTC(2026, 7, 3, 2, 0, 0),
): Generator<string[]> {
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
