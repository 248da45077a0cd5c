// The SQL behind the insight routes (retry waste, incidents, wording drift, wall calendar). The
// store returns plain rows; the decisions are pure functions in services/core. Tables are qualified
// with the validated database name, values travel as typed parameters.
import type { WasteInput } from '../core/retry-waste.js';

/** Narrow read interface (the API's Querier has this shape). */
export interface RowQuerier {
  rows<T>(sql: string, params: Record<string, unknown>): Promise<T[]>;
}

/** Label filters the insight routes accept (each a list of values; absent = all). */
export interface LabelFilters {
  provider?: string[];
  model?: string[];
  key?: string[];
  tenant?: string[];
}

const LABEL_COLUMN: Record<keyof LabelFilters, string> = {
  provider: 'provider',
  model: 'model',
  key: 'key_fp',
  tenant: 'tenant',
};

function labelSql(f: LabelFilters): { sql: string; params: Record<string, string[]> } {
  const parts: string[] = [];
  const params: Record<string, string[]> = {};
  for (const name of Object.keys(LABEL_COLUMN) as (keyof LabelFilters)[]) {
    const values = f[name];
    if (!values) continue;
    parts.push(`AND ${LABEL_COLUMN[name]} IN {l_${name}:Array(String)}`);
    params[`l_${name}`] = values;
  }
  return { sql: parts.join(' '), params };
}

const sec = (ms: number) => ms / 1000;

export class TooManyRowsError extends Error {
  override name = 'TooManyRowsError';
}

/**
 * Non-retryable errors of the given categories in [from, to), per key in time order, and the minutes
 * in which those keys had a successful call. Throws TooManyRowsError past `maxRows`.
 */
export async function queryWasteInputs(
  db: RowQuerier,
  database: string,
  q: { from: number; to: number; categories: string[]; filters: LabelFilters; maxRows: number },
): Promise<{ errors: WasteInput[]; okMinutes: Map<string, Set<number>> }> {
  const f = labelSql(q.filters);
  // Aliases differ from the column names: ClickHouse would read an alias `ts` in the WHERE clause.
  const raw = await db.rows<Omit<WasteInput, 'ts' | 'reset_at'> & { ts_ms: number; reset_ms: number | null }>(
    `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, key_fp AS key, tenant, model, provider, code, category,
            toUnixTimestamp64Milli(reset_at) AS reset_ms, latency_ms
     FROM ${database}.errors_v1
     WHERE ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)} AND NOT retryable AND key_fp != ''
       AND category IN {categories:Array(String)} ${f.sql}
     ORDER BY key_fp, ts
     LIMIT {limit:UInt32}`,
    { ...f.params, from: sec(q.from), to: sec(q.to), categories: q.categories, limit: q.maxRows + 1 },
  );
  const errors: WasteInput[] = raw.map(({ ts_ms, reset_ms, ...r }) => ({ ...r, ts: ts_ms, reset_at: reset_ms }));
  if (errors.length > q.maxRows) {
    throw new TooManyRowsError(`more than ${q.maxRows} non-retryable errors in the range`);
  }
  const okMinutes = new Map<string, Set<number>>();
  const keys = [...new Set(errors.map((e) => e.key))];
  if (keys.length === 0) return { errors, okMinutes };
  const ok = await db.rows<{ key: string; minute: number }>(
    `SELECT DISTINCT key_fp AS key, toUInt64(toUnixTimestamp(bucket)) * 1000 AS minute
     FROM ${database}.calls_1m_v1
     WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime} AND category = 'ok' AND key_fp IN {keys:Array(String)}`,
    { from: Math.floor(sec(q.from) / 60) * 60, to: Math.ceil(sec(q.to)), keys },
  );
  for (const r of ok) {
    let s = okMinutes.get(r.key);
    if (!s) {
      s = new Set();
      okMinutes.set(r.key, s);
    }
    s.add(Number(r.minute));
  }
  return { errors, okMinutes };
}
