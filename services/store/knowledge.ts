// What errorscope knows, in the shapes the Prometheus exporter publishes (services/api/knowledge-metrics.ts):
// recent error counts per provider/model/category/code, distinct failing keys, and per key and code
// the recent count against its baseline. All from the 1m rollup, so every API replica reads the same
// numbers. Values are typed parameters; the database name is the validated configured one.

import type { Querier } from './querier.js';

const MINUTE_MS = 60_000;
/** Minute buckets that overlap [fromMs, toMs]: DateTime params in seconds. */
function minuteRange(fromMs: number, toMs: number): { from: number; to: number } {
  return { from: Math.floor(fromMs / MINUTE_MS) * 60, to: Math.floor(toMs / 1000) };
}

export interface WindowErrorRow {
  provider: string;
  model: string;
  category: string;
  code: string;
  errors: number;
}

/**
 * The `limit` largest (provider, model, category, code) error counts of the window, and the total
 * over every group, so the caller can publish the rest as one summed series.
 */
export async function queryWindowErrors(
  db: Querier,
  q: { fromMs: number; toMs: number; limit: number },
): Promise<{ top: WindowErrorRow[]; total: number; groups: number }> {
  const r = minuteRange(q.fromMs, q.toMs);
  const grouped = `
    SELECT provider, model, category, code, sum(errors) AS n
    FROM ${db.tables.calls1m}
    WHERE bucket >= {from:DateTime} AND bucket <= {to:DateTime} AND errors > 0
    GROUP BY provider, model, category, code`;
  // The alias n: naming the sum `errors` would shadow the column in WHERE.
  const top = await db.rows(
    'window errors',
    `${grouped} ORDER BY n DESC, provider, model, category, code LIMIT {limit:UInt32}`,
    { ...r, limit: q.limit },
    { provider: 'string', model: 'string', category: 'string', code: 'string', n: 'number' },
  );
  const [sum] = await db.rows('window error total', `SELECT sum(n) AS total, count() AS groups FROM (${grouped})`, r, {
    total: 'number',
    groups: 'number',
  });
  return {
    top: top.map(({ n, ...labels }) => ({ ...labels, errors: n })),
    total: sum?.total ?? 0,
    groups: sum?.groups ?? 0,
  };
}

export interface WindowKeysRow {
  provider: string;
  category: string;
  code: string;
  keys: number;
}

/** Distinct keys with at least one error in the window, per provider, category and code. */
export async function queryWindowErrorKeys(
  db: Querier,
  q: { fromMs: number; toMs: number; limit: number },
): Promise<WindowKeysRow[]> {
  return db.rows(
    'window error keys',
    `SELECT provider, category, code, uniqExact(key_fp) AS keys
     FROM ${db.tables.calls1m}
     WHERE bucket >= {from:DateTime} AND bucket <= {to:DateTime} AND errors > 0
     GROUP BY provider, category, code
     ORDER BY keys DESC, provider, category, code
     LIMIT {limit:UInt32}`,
    { ...minuteRange(q.fromMs, q.toMs), limit: q.limit },
    { provider: 'string', category: 'string', code: 'string', keys: 'number' },
  );
}

export interface KeyCodeCountsRow {
  key: string;
  code: string;
  count: number;
  baseline_count: number;
}

/**
 * Per key and watched code: errors in the recent window, and in the baseline just before it (both
 * from the 1m rollup, which keeps 14 days, so the baseline must be shorter than that).
 */
export async function queryKeyCodeCounts(
  db: Querier,
  q: { toMs: number; windowMs: number; baselineMs: number; codes: string[] },
): Promise<KeyCodeCountsRow[]> {
  if (q.codes.length === 0) return [];
  const rStart = Math.floor((q.toMs - q.windowMs) / MINUTE_MS) * MINUTE_MS;
  const bStart = rStart - Math.floor(q.baselineMs / MINUTE_MS) * MINUTE_MS;
  const rows = await db.rows(
    'key code counts',
    `SELECT key_fp AS key, code,
            sumIf(errors, bucket >= {r_start:DateTime}) AS recent,
            sumIf(errors, bucket < {r_start:DateTime}) AS baseline_count
     FROM ${db.tables.calls1m}
     WHERE bucket >= {b_start:DateTime} AND bucket <= {to:DateTime} AND errors > 0
       AND code IN {codes:Array(String)} AND key_fp != ''
     GROUP BY key_fp, code
     HAVING recent > 0
     ORDER BY recent DESC, key, code`,
    { r_start: rStart / 1000, b_start: bStart / 1000, to: Math.floor(q.toMs / 1000), codes: q.codes },
    { key: 'string', code: 'string', recent: 'number', baseline_count: 'number' },
  );
  return rows.map(({ recent, ...r }) => ({ ...r, count: recent }));
}
