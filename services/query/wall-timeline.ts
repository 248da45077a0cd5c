// The quota walls as states over time (a Grafana state timeline): per key and bucket, 1 while the key
// is blocked (from its wall's start until its reset time, or until now when the reset is unknown).
// Pure; long format, zero-filled, ordered by time then key.

export interface WallSpan {
  key: string;
  since: number;
  /** Reset time (epoch ms), null when unknown. */
  until: number | null;
}

interface TimelineRow {
  time: number;
  key: string;
  blocked: number;
}

/** `buckets` are bucket starts `stepMs` wide; a bucket is blocked when it overlaps the wall. */
export function wallTimeline(walls: readonly WallSpan[], buckets: readonly number[], stepMs: number, now: number) {
  const out: TimelineRow[] = [];
  const sorted = [...walls].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const t of buckets) {
    for (const w of sorted) {
      const end = w.until ?? now;
      out.push({ time: t, key: w.key, blocked: t + stepMs > w.since && t < end ? 1 : 0 });
    }
  }
  return out;
}
