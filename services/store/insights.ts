// The SQL behind the insight routes (retry waste, incidents, wording drift, wall calendar). The
// store returns plain rows; the decisions are pure functions in services/core. Tables are qualified
// with the validated database name, values travel as typed parameters.
import type { WordingCount } from '../core/drift.js';
import type { IncidentMinute, ProviderMinute } from '../core/incidents.js';
import type { WasteInput } from '../core/retry-waste.js';
import type { Querier } from './querier.js';

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

function labelSql(
  f: LabelFilters,
  names = Object.keys(LABEL_COLUMN) as (keyof LabelFilters)[],
): { sql: string; params: Record<string, string[]> } {
  const parts: string[] = [];
  const params: Record<string, string[]> = {};
  for (const name of names) {
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
  db: Querier,
  q: { from: number; to: number; categories: string[]; filters: LabelFilters; maxRows: number },
): Promise<{ errors: WasteInput[]; okMinutes: Map<string, Set<number>> }> {
  const f = labelSql(q.filters);
  const where = `ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)} AND NOT retryable AND key_fp != ''
       AND category IN {categories:Array(String)} ${f.sql}`;
  const params = { ...f.params, from: sec(q.from), to: sec(q.to), categories: q.categories };
  // Aliases differ from the column names: ClickHouse would read an alias `ts` in the WHERE clause.
  const raw = await db.rows(
    'retry waste errors',
    `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, key_fp AS key, tenant, model, provider, code, category,
            toUnixTimestamp64Milli(reset_at) AS reset_ms, latency_ms
     FROM ${db.tables.errors}
     WHERE ${where}
     ORDER BY key_fp, ts
     LIMIT {limit:UInt32}`,
    { ...params, limit: q.maxRows + 1 },
    {
      ts_ms: 'number',
      key: 'string',
      tenant: 'string',
      model: 'string',
      provider: 'string',
      code: 'string',
      category: 'string',
      reset_ms: 'number?',
      latency_ms: 'number?',
    },
  );
  const errors: WasteInput[] = raw.map(({ ts_ms, reset_ms, ...r }) => ({ ...r, ts: ts_ms, reset_at: reset_ms }));
  if (errors.length > q.maxRows) {
    throw new TooManyRowsError(`more than ${q.maxRows} non-retryable errors in the range`);
  }
  const okMinutes = new Map<string, Set<number>>();
  if (errors.length === 0) return { errors, okMinutes };
  // Only the minutes that matter: those in which the key also had one of these errors. On a day of
  // `start --demo` traffic: 424 key-minutes instead of 28,089; the 24h query from 850 to 230 ms (measured).
  const ok = await db.rows(
    'retry waste ok minutes',
    `SELECT DISTINCT key_fp AS key, toUInt64(toUnixTimestamp(bucket)) * 1000 AS minute
     FROM ${db.tables.calls1m}
     WHERE bucket >= {from_min:DateTime} AND bucket < {to_min:DateTime} AND category = 'ok'
       AND (key_fp, bucket) IN (SELECT DISTINCT key_fp, toStartOfMinute(ts) FROM ${db.tables.errors} WHERE ${where})`,
    { ...params, from_min: Math.floor(sec(q.from) / 60) * 60, to_min: Math.ceil(sec(q.to)) },
    { key: 'string', minute: 'number' },
  );
  for (const r of ok) {
    let s = okMinutes.get(r.key);
    if (!s) {
      s = new Set();
      okMinutes.set(r.key, s);
    }
    s.add(r.minute);
  }
  return { errors, okMinutes };
}

export type IncidentGroupBy = 'code' | 'category' | 'provider';

/**
 * Per provider x group x minute: errors matching (code IN codes OR category IN categories) with the
 * keys and tenants that saw them (minutes under `minPerMinute` errors are left out), and every
 * provider's calls per minute. From the minute rollup.
 */
export async function queryIncidentInputs(
  db: Querier,
  q: {
    from: number;
    to: number;
    by: IncidentGroupBy;
    codes: string[] | undefined;
    categories: string[] | undefined;
    minPerMinute: number;
    filters: LabelFilters;
  },
): Promise<{ minutes: IncidentMinute[]; providerCalls: ProviderMinute[] }> {
  const f = labelSql(q.filters);
  const match: string[] = [];
  if (q.codes) match.push('code IN {m_codes:Array(String)}');
  if (q.categories) match.push('category IN {m_categories:Array(String)}');
  const group = q.by === 'provider' ? "'*'" : q.by === 'category' ? 'toString(category)' : 'toString(code)';
  const range = { from: Math.floor(sec(q.from) / 60) * 60, to: Math.ceil(sec(q.to)) };
  // Aliases differ from column names (ClickHouse would read them in WHERE).
  const raw = await db.rows(
    'incident minutes',
    `SELECT toString(provider) AS p, ${group} AS g, toString(argMax(category, errors)) AS cat,
            toUInt64(toUnixTimestamp(bucket)) * 1000 AS minute, sum(errors) AS n,
            groupUniqArray(1000)(key_fp) AS ks, groupUniqArray(1000)(toString(tenant)) AS tn
     FROM ${db.tables.calls1m}
     WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime} AND errors > 0
       ${match.length ? `AND (${match.join(' OR ')})` : ''} ${f.sql}
     GROUP BY p, g, bucket
     HAVING n >= {min_per_minute:UInt32}
     ORDER BY p, g, minute`,
    {
      ...f.params,
      ...range,
      ...(q.codes ? { m_codes: q.codes } : {}),
      ...(q.categories ? { m_categories: q.categories } : {}),
      min_per_minute: q.minPerMinute,
    },
    { p: 'string', g: 'string', cat: 'string', minute: 'number', n: 'number', ks: 'strings', tn: 'strings' },
  );
  const minutes: IncidentMinute[] = raw.map((r) => ({
    provider: r.p,
    group: r.g,
    category: r.cat,
    minute: r.minute,
    errors: r.n,
    keys: r.ks,
    tenants: r.tn,
  }));
  // The share is of the provider's whole traffic: key and tenant filters do not shrink it.
  const pf = labelSql(q.filters, ['provider', 'model']);
  const totals = await db.rows(
    'incident provider calls',
    `SELECT toString(provider) AS p, toUInt64(toUnixTimestamp(bucket)) * 1000 AS minute, sum(calls) AS n
     FROM ${db.tables.calls1m}
     WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime} ${pf.sql}
     GROUP BY p, bucket`,
    { ...pf.params, ...range },
    { p: 'string', minute: 'number', n: 'number' },
  );
  const providerCalls: ProviderMinute[] = totals.map((r) => ({
    provider: r.p,
    minute: r.minute,
    calls: r.n,
  }));
  return { minutes, providerCalls };
}

/**
 * The distinct wordings of known codes' messages in [from, to): tokens that carry a digit (times,
 * counts, request ids) are blanked so one wording is one row; a real message is kept as the sample.
 */
export async function queryWordings(
  db: Querier,
  q: { from: number; to: number; filters: LabelFilters; codes: string[] | undefined; limit: number },
): Promise<WordingCount[]> {
  const f = labelSql(q.filters);
  const rows = await db.rows(
    'wordings',
    `SELECT toString(provider) AS p, toString(code) AS c, toString(any(category)) AS cat,
            replaceRegexpAll(message, {blank:String}, '#') AS wording,
            any(message) AS sample, count() AS calls, countIf(reset_at IS NULL) AS no_reset,
            toUnixTimestamp64Milli(min(ts)) AS first_seen, toUnixTimestamp64Milli(max(ts)) AS last_seen
     FROM ${db.tables.errors}
     WHERE ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)} AND known AND message != ''
       ${q.codes ? 'AND code IN {codes:Array(String)}' : ''} ${f.sql}
     GROUP BY p, c, wording
     ORDER BY p, c, calls DESC
     LIMIT {limit:UInt32}`,
    {
      ...f.params,
      ...(q.codes ? { codes: q.codes } : {}),
      blank: '[\\w.:-]*\\d[\\w.:-]*',
      from: sec(q.from),
      to: sec(q.to),
      limit: q.limit,
    },
    {
      p: 'string',
      c: 'string',
      cat: 'string',
      sample: 'string',
      calls: 'number',
      no_reset: 'number',
      first_seen: 'number',
      last_seen: 'number',
    },
  );
  return rows.map((r) => ({
    provider: r.p,
    code: r.c,
    category: r.cat,
    sample: r.sample,
    calls: r.calls,
    no_reset: r.no_reset,
    first_seen: r.first_seen,
    last_seen: r.last_seen,
  }));
}
