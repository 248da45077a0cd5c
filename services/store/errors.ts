// The raw errors family (errors_v2, unknown_codes_v2): drill-down samples and codes the taxonomy
// does not know. Values are typed params, rows are parsed (rows.ts).
import { type Filter, filterSql } from './dimensions.js';
import type { Querier } from './querier.js';
import type { ColumnKind } from './rows.js';

/** Epoch seconds for a parameter: whole seconds for DateTime (floor/ceil them first), fractions for DateTime64(3). */
const sec = (ms: number) => ms / 1000;

export interface SampleRow {
  time: number;
  provider: string;
  model: string;
  key: string;
  tenant: string;
  category: string;
  code: string;
  http_status: number;
  message: string;
  reset_at: number | null;
  request_id: string;
  retryable: boolean;
}

const SAMPLE_SHAPE = {
  time: 'number',
  provider: 'string',
  model: 'string',
  key: 'string',
  tenant: 'string',
  category: 'string',
  code: 'string',
  http_status: 'number',
  message: 'string',
  reset_at: 'number?',
  request_id: 'string',
  retryable: 'boolean',
} as const satisfies Record<keyof SampleRow, ColumnKind>;

export async function querySamples(
  db: Querier,
  q: { from: number; to: number; filters: Filter[]; limit: number },
): Promise<SampleRow[]> {
  const f = filterSql(q.filters);
  const sql = `
    SELECT toUnixTimestamp64Milli(ts) AS time, provider, model, key_fp AS key, tenant, category, code,
           http_status, message, toUnixTimestamp64Milli(reset_at) AS reset_at, request_id, retryable
    FROM ${db.tables.errors}
    WHERE ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)} ${f.sql}
    ORDER BY ts DESC
    LIMIT {limit:UInt32}`;
  return db.rows('samples', sql, { ...f.params, from: sec(q.from), to: sec(q.to), limit: q.limit }, SAMPLE_SHAPE);
}

export interface UnknownCodeRow {
  provider: string;
  code: string;
  first_seen: number;
  last_seen: number;
  calls: number;
  http_status: number;
  category: string;
  sample_message: string;
}

const UNKNOWN_SHAPE = {
  provider: 'string',
  code: 'string',
  first_seen: 'number',
  last_seen: 'number',
  calls: 'number',
  http_status: 'number',
  category: 'string',
  sample_message: 'string',
} as const satisfies Record<keyof UnknownCodeRow, ColumnKind>;

export async function queryUnknownCodes(
  db: Querier,
  q: { since: number | undefined; provider: string[] | undefined; limit: number },
): Promise<UnknownCodeRow[]> {
  const where: string[] = [];
  if (q.provider) where.push('provider IN {provider:Array(String)}');
  const having = q.since === undefined ? '' : 'HAVING last_seen >= {since:Int64}';
  const sql = `
    SELECT provider, code, toUnixTimestamp64Milli(min(first_seen)) AS first_seen,
           toUnixTimestamp64Milli(max(last_seen)) AS last_seen, sum(calls) AS calls,
           anyLast(http_status) AS http_status, anyLast(category) AS category,
           anyLast(sample_message) AS sample_message
    FROM ${db.tables.unknownCodes}
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY provider, code
    ${having}
    ORDER BY last_seen DESC, provider, code
    LIMIT {limit:UInt32}`;
  return db.rows(
    'unknown codes',
    sql,
    {
      ...(q.provider ? { provider: q.provider } : {}),
      ...(q.since === undefined ? {} : { since: q.since }),
      limit: q.limit,
    },
    UNKNOWN_SHAPE,
  );
}
