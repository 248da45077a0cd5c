// The read side of the schema: every SQL statement the query API runs (the API parses parameters and
// shapes responses; services/api/queries.ts re-exports this module). Tables are qualified with the
// validated database name, columns come from the dimension whitelist, values are typed params.
import type { ClickHouseClient } from '@clickhouse/client';
import { quantileSql } from '../core/latency-histogram.js';
import { HOUR_MS, MINUTE_MS, RETENTION_MS, type Resolution } from '../query/timeparse.js';
import { DIMENSION_COLUMN, type Dimension, type Filter, filterSql, selectDims } from './dimensions.js';
import { rollupTable, TABLES } from './tables.js';

/** Narrow read interface (the routes depend on this, not on the client). */
export interface Querier {
  rows<T>(sql: string, params: Record<string, unknown>): Promise<T[]>;
}

export function clickhouseQuerier(client: ClickHouseClient): Querier {
  return {
    async rows<T>(sql: string, params: Record<string, unknown>): Promise<T[]> {
      const rs = await client.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        clickhouse_settings: {
          // Numbers as JSON numbers (a server quotes 64-bit integers by default).
          output_format_json_quote_64bit_integers: 0,
          // A bound on what one dashboard request may cost.
          max_execution_time: 30,
        },
      });
      return rs.json<T>();
    },
  };
}

/** Seconds (DateTime params take fractional epoch seconds). */
const sec = (ms: number) => ms / 1000;

export interface SeriesRow {
  time: number;
  calls: number;
  errors: number;
  [label: string]: string | number | null | number[];
}

export interface SeriesQuery {
  resolution: Resolution;
  stepMs: number;
  /** First bucket start (aligned on stepMs) and exclusive end. */
  start: number;
  to: number;
  groupBy: Dimension[];
  filters: Filter[];
  /** Most label sets returned (those with the most errors, then calls, over the range). */
  maxSeries: number;
  /** Add latency_p50/p90/p99 (ms, merged latency histograms; null where no call reported a latency). */
  latency?: boolean;
}

// The rollups keep a log-bucket histogram per row; the merged histogram of a group is read back at
// its nearest-rank buckets (services/core/latency-histogram.ts, within 5% of the exact quantiles).
const HIST = 'sumMap(latency_hist)';
const LATENCY_SQL = `, arrayMap(x -> round(x, 1), [${quantileSql(HIST, 0.5)}, ${quantileSql(HIST, 0.9)}, ${quantileSql(HIST, 0.99)}]) AS lq,
  lq[1] AS latency_p50, lq[2] AS latency_p90, lq[3] AS latency_p99`;

/**
 * Non-zero buckets of a series query (zero-filling is done by the caller). With labels, the label
 * sets are ranked by their totals over the range in a window over the grouped rows, one scan of the
 * rollup (twice as fast as an IN (top groups) subquery on low-cardinality labels, measured).
 */
export async function querySeries(db: Querier, database: string, q: SeriesQuery): Promise<SeriesRow[]> {
  const table = `${database}.${rollupTable(q.resolution, [...q.groupBy, ...q.filters.map((x) => x.dimension)])}`;
  const f = filterSql(q.filters);
  const where = `bucket >= {start:DateTime} AND bucket < {end:DateTime} ${f.sql}`;
  const time = 'intDiv(toUInt64(toUnixTimestamp(bucket)), {step_s:UInt64}) * {step_s:UInt64} * 1000 AS time';
  const latency = q.latency ? LATENCY_SQL : '';
  const params = {
    ...f.params,
    start: Math.floor(sec(q.start)),
    end: Math.ceil(sec(q.to)),
    step_s: q.stepMs / 1000,
    max_series: q.maxSeries,
  };
  if (q.groupBy.length === 0) {
    const sql = `
      SELECT ${time}, sum(calls) AS calls, sum(errors) AS errors ${latency}
      FROM ${table} WHERE ${where}
      GROUP BY time ORDER BY time`;
    return db.rows<SeriesRow>(sql, params);
  }
  const labels = q.groupBy.join(', ');
  const sql = `
    SELECT time, ${labels}, c AS calls, e AS errors ${q.latency ? ', latency_p50, latency_p90, latency_p99' : ''}
    FROM (
      SELECT *, dense_rank() OVER (ORDER BY g_errors DESC, g_calls DESC, ${labels}) AS grp_rank
      FROM (
        SELECT ${time}, ${selectDims(q.groupBy)}, sum(calls) AS c, sum(errors) AS e ${latency},
               sum(e) OVER (PARTITION BY ${labels}) AS g_errors, sum(c) OVER (PARTITION BY ${labels}) AS g_calls
        FROM ${table} WHERE ${where}
        GROUP BY time, ${labels}
      )
    )
    WHERE grp_rank <= {max_series:UInt32}
    ORDER BY time`;
  return db.rows<SeriesRow>(sql, params);
}

export interface TopRow {
  calls: number;
  errors: number;
  error_rate: number;
  /** Calls of every group in the range (before the limit): the same on every row. */
  total_calls: number;
  [label: string]: string | number | null | (number | null)[];
}

export async function queryTop(
  db: Querier,
  database: string,
  q: {
    resolution: Resolution;
    start: number;
    to: number;
    by: Dimension[];
    filters: Filter[];
    limit: number;
    latency?: boolean;
  },
): Promise<TopRow[]> {
  const table = `${database}.${rollupTable(q.resolution, [...q.by, ...q.filters.map((x) => x.dimension)])}`;
  const f = filterSql(q.filters);
  // The window sum runs over every group before the LIMIT (an outer query: the alias `calls` would
  // shadow the column inside the grouped one).
  const sql = `
    SELECT *, sum(calls) OVER () AS total_calls
    FROM (
      SELECT ${selectDims(q.by)}, sum(calls) AS calls, sum(errors) AS errors,
             if(calls = 0, 0, errors / calls) AS error_rate ${q.latency ? LATENCY_SQL : ''}
      FROM ${table}
      WHERE bucket >= {start:DateTime} AND bucket < {end:DateTime} ${f.sql}
      GROUP BY ${q.by.join(', ')}
    )
    ORDER BY errors DESC, calls DESC, ${q.by.join(', ')}
    LIMIT {limit:UInt32}`;
  return db.rows<TopRow>(sql, {
    ...f.params,
    start: Math.floor(sec(q.start)),
    end: Math.ceil(sec(q.to)),
    limit: q.limit,
  });
}

/** Matching errors: code in codes OR category in categories; neither given means every error. */
function matchSql(codes: string[] | undefined, categories: string[] | undefined): string {
  const parts: string[] = [];
  if (codes) parts.push('code IN {m_codes:Array(String)}');
  if (categories) parts.push('category IN {m_categories:Array(String)}');
  return parts.length ? `AND (${parts.join(' OR ')})` : '';
}

interface SurgeCountsRow {
  group: string;
  /** The tenants of the group's matching errors in the window, sorted, comma-separated (one for a key). */
  tenant: string;
  count: number;
  baseline_count: number;
  distinct_keys: number;
  last_seen: number;
}

export interface SurgeQuery {
  by: Dimension;
  to: number;
  windowMs: number;
  baselineMs: number;
  codes: string[] | undefined;
  categories: string[] | undefined;
  filters: Filter[];
  now: number;
}

export interface SurgeCounts {
  rows: SurgeCountsRow[];
  /** The baseline actually counted (hour-aligned when read from the hourly rollup). */
  baselineMs: number;
  baselineResolution: Resolution;
}

/**
 * Recent window counts come from the 1m rollup. The baseline comes from the 1m rollup too when it
 * is short and still retained there, else from the 1h rollup over whole hours before the window.
 */
export async function querySurgeCounts(db: Querier, database: string, q: SurgeQuery): Promise<SurgeCounts> {
  const recentStart = q.to - q.windowMs;
  const baselineStart = recentStart - q.baselineMs;
  const minuteBaseline = q.baselineMs <= 2 * 24 * HOUR_MS && baselineStart >= q.now - RETENTION_MS['1m'];
  const f = filterSql(q.filters);
  const match = matchSql(q.codes, q.categories);
  const col = DIMENSION_COLUMN[q.by];
  // Minute buckets wholly or partly inside [recentStart, to): start > recentStart - 1m.
  const rStart = Math.floor(recentStart / MINUTE_MS) * MINUTE_MS;
  let bStart: number;
  let bEnd: number;
  let baselineSource: string;
  if (minuteBaseline) {
    bStart = Math.floor(baselineStart / MINUTE_MS) * MINUTE_MS;
    bEnd = rStart;
    baselineSource = `${database}.${TABLES.calls1m}`;
  } else {
    bStart = Math.floor(baselineStart / HOUR_MS) * HOUR_MS;
    bEnd = Math.floor(rStart / HOUR_MS) * HOUR_MS;
    baselineSource = `${database}.${TABLES.calls1h}`;
  }
  const sql = `
    SELECT grp AS group, sum(c) AS count, sum(b) AS baseline_count,
           uniqExactIf(key_fp, c > 0) AS distinct_keys,
           arrayStringConcat(arraySort(groupUniqArrayIf(tenant, c > 0)), ',') AS tenant,
           toUInt64(toUnixTimestamp(maxIf(bucket, c > 0))) * 1000 AS last_seen
    FROM (
      SELECT toString(${col}) AS grp, key_fp, tenant, bucket, errors AS c, toUInt64(0) AS b
      FROM ${database}.${TABLES.calls1m}
      WHERE bucket >= {r_start:DateTime} AND bucket < {r_end:DateTime} AND errors > 0 ${match} ${f.sql}
      UNION ALL
      SELECT toString(${col}) AS grp, key_fp, tenant, bucket, toUInt64(0) AS c, errors AS b
      FROM ${baselineSource}
      WHERE bucket >= {b_start:DateTime} AND bucket < {b_end:DateTime} AND errors > 0 ${match} ${f.sql}
    )
    GROUP BY grp
    HAVING count > 0
    ORDER BY count DESC, grp`;
  const rows = await db.rows<SurgeCountsRow>(sql, {
    ...f.params,
    ...(q.codes ? { m_codes: q.codes } : {}),
    ...(q.categories ? { m_categories: q.categories } : {}),
    r_start: sec(rStart),
    r_end: Math.ceil(sec(q.to)),
    b_start: sec(bStart),
    b_end: sec(bEnd),
  });
  return { rows, baselineMs: Math.max(0, bEnd - bStart), baselineResolution: minuteBaseline ? '1m' : '1h' };
}

export interface WallRow {
  key: string;
  tenant: string;
  provider: string;
  model: string;
  code: string;
  category: string;
  since: number;
  last_seen: number;
  count: number;
  reset_at: number | null;
  message: string;
}

/**
 * Groups whose latest calls are quota errors: wall-code errors in the lookback that came after the
 * group's last successful minute (from the 1m rollup), with a reset time unknown or still ahead.
 */
export async function queryQuotaWalls(
  db: Querier,
  database: string,
  q: { by: 'key' | 'tenant'; from: number; now: number; codes: string[]; filters: Filter[]; limit: number },
): Promise<WallRow[]> {
  const col = DIMENSION_COLUMN[q.by];
  // Qualified: the SELECT's argMax(...) AS tenant/provider/model/code/category would shadow the columns.
  const f = filterSql(q.filters, 'f', 'e');
  // Successful calls ignore the category/code/status filters (they are the wall's own terms).
  const okFilters = filterSql(
    q.filters.filter((x) => x.dimension !== 'category' && x.dimension !== 'code' && x.dimension !== 'http_status'),
    'o',
  );
  const sql = `
    SELECT argMax(key_fp, e.ts) AS key, argMax(tenant, e.ts) AS tenant, argMax(provider, e.ts) AS provider,
           argMax(model, e.ts) AS model, argMax(code, e.ts) AS code, argMax(category, e.ts) AS category,
           toUnixTimestamp64Milli(min(e.ts)) AS since, toUnixTimestamp64Milli(max(e.ts)) AS last_seen,
           count() AS count,
           toUnixTimestamp64Milli(max(e.reset_at)) AS reset_at,
           argMax(message, e.ts) AS message
    FROM ${database}.${TABLES.errors} AS e
    LEFT JOIN (
      SELECT ${col} AS grp, max(bucket) AS last_ok
      FROM ${database}.${TABLES.calls1m}
      WHERE bucket >= {from_min:DateTime} AND category = 'ok' ${okFilters.sql}
      GROUP BY grp
    ) AS o ON e.${col} = o.grp
    WHERE e.ts >= {from:DateTime64(3)} AND e.ts <= {now:DateTime64(3)}
      AND e.code IN {codes:Array(String)} ${f.sql}
      AND toUnixTimestamp(e.ts) >= toUnixTimestamp(o.last_ok) + 60
    GROUP BY e.${col}
    HAVING reset_at IS NULL OR reset_at > {now_ms:Int64}
    ORDER BY since, key
    LIMIT {limit:UInt32}`;
  return db.rows<WallRow>(sql, {
    ...f.params,
    ...okFilters.params,
    from: sec(q.from),
    from_min: Math.floor(q.from / MINUTE_MS) * 60,
    now: sec(q.now),
    now_ms: q.now,
    codes: q.codes,
    limit: q.limit,
  });
}

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

export async function querySamples(
  db: Querier,
  database: string,
  q: { from: number; to: number; filters: Filter[]; limit: number },
): Promise<SampleRow[]> {
  const f = filterSql(q.filters);
  const sql = `
    SELECT toUnixTimestamp64Milli(ts) AS time, provider, model, key_fp AS key, tenant, category, code,
           http_status, message, toUnixTimestamp64Milli(reset_at) AS reset_at, request_id, retryable
    FROM ${database}.${TABLES.errors}
    WHERE ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)} ${f.sql}
    ORDER BY ts DESC
    LIMIT {limit:UInt32}`;
  return db.rows<SampleRow>(sql, { ...f.params, from: sec(q.from), to: sec(q.to), limit: q.limit });
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

export async function queryUnknownCodes(
  db: Querier,
  database: string,
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
    FROM ${database}.${TABLES.unknownCodes}
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY provider, code
    ${having}
    ORDER BY last_seen DESC, provider, code
    LIMIT {limit:UInt32}`;
  return db.rows<UnknownCodeRow>(sql, {
    ...(q.provider ? { provider: q.provider } : {}),
    ...(q.since === undefined ? {} : { since: q.since }),
    limit: q.limit,
  });
}

export async function queryValues(
  db: Querier,
  database: string,
  q: { dimension: Dimension; resolution: Resolution; from: number; to: number; filters: Filter[]; limit: number },
): Promise<{ value: string }[]> {
  const f = filterSql(q.filters);
  const col = DIMENSION_COLUMN[q.dimension];
  const sql = `
    SELECT DISTINCT toString(${col}) AS value
    FROM ${database}.${rollupTable(q.resolution, [q.dimension, ...q.filters.map((x) => x.dimension)])}
    WHERE bucket >= {start:DateTime} AND bucket < {end:DateTime} ${f.sql}
    ORDER BY value
    LIMIT {limit:UInt32}`;
  const start = Math.floor(q.from / 1000);
  return db.rows(sql, { ...f.params, start, end: Math.ceil(q.to / 1000), limit: q.limit });
}

/** Readiness: ClickHouse answers and the schema is there. */
export async function ping(db: Querier, database: string): Promise<void> {
  await db.rows(`SELECT 1 FROM ${database}.${TABLES.calls1m} LIMIT 1`, {});
}
