// How long each table keeps what it is given, stated once (the TTLs in migrations/ are checked
// against these by test/unit/retention.test.ts), and what a block of calls loses to those TTLs.
// ClickHouse applies a TTL when it writes a part: a call older than a table's retention is dropped
// from that table right at insert, silently. Counting it here is how the ingest paths say so. Pure.

const DAY_MS = 86_400_000;

/** Days each table keeps a call; errors is RAW_TTL_DAYS when configured. */
export const RETENTION_DAYS = { errors: 30, calls_1m: 14, calls_1h: 400, calls_1d: 1825 } as const;

type RetainedTable = keyof typeof RETENTION_DAYS;

/** Calls of a block each table drops at insert (errors counts failed calls only: it holds no others). */
export type BeyondRetention = Record<RetainedTable, number>;

const BUCKET_MS: Record<Exclude<RetainedTable, 'errors'>, number> = {
  calls_1m: 60_000,
  calls_1h: 3_600_000,
  calls_1d: DAY_MS,
};

export function emptyBeyondRetention(): BeyondRetention {
  return { errors: 0, calls_1m: 0, calls_1h: 0, calls_1d: 0 };
}

/**
 * Calls of `rows` that a table's TTL removes as of `nowMs`: the raw table's TTL is on the call's
 * time, a rollup's on its bucket start (TTL bucket + INTERVAL n DAY).
 */
export function countBeyondRetention(
  rows: readonly { ts: number; category: string }[],
  nowMs: number,
  rawTtlDays: number = RETENTION_DAYS.errors,
): BeyondRetention {
  const out = emptyBeyondRetention();
  const rawCut = nowMs - rawTtlDays * DAY_MS;
  for (const r of rows) {
    if (r.category !== 'ok' && Math.floor(r.ts / 1000) * 1000 <= rawCut) out.errors++;
    for (const t of ['calls_1m', 'calls_1h', 'calls_1d'] as const) {
      const bucket = Math.floor(r.ts / BUCKET_MS[t]) * BUCKET_MS[t];
      if (bucket + RETENTION_DAYS[t] * DAY_MS <= nowMs) out[t]++;
    }
  }
  return out;
}

/** Adds b into a. */
export function addBeyondRetention(a: BeyondRetention, b: BeyondRetention): BeyondRetention {
  for (const k of Object.keys(a) as RetainedTable[]) a[k] += b[k];
  return a;
}
