// The quota and rate-limit family: surge counts (matching errors per group, recent window against a
// baseline) and quota walls (groups whose latest calls hit a wall code). Columns come from the
// dimension whitelist, values are typed params, rows are parsed (rows.ts).
import { HOUR_MS, MINUTE_MS, RETENTION_MS, type Resolution } from '../query/timeparse.js';
import { DIMENSION_COLUMN, type Dimension, type Filter, filterSql } from './dimensions.js';
import type { Querier } from './querier.js';
import type { ColumnKind } from './rows.js';

/** Epoch seconds for a parameter: whole seconds for DateTime (floor/ceil them first), fractions for DateTime64(3). */
const sec = (ms: number) => ms / 1000;

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

const SURGE_SHAPE = {
  group: 'string',
  tenant: 'string',
  count: 'number',
  baseline_count: 'number',
  distinct_keys: 'number',
  last_seen: 'number',
} as const satisfies Record<keyof SurgeCountsRow, ColumnKind>;

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
export async function querySurgeCounts(db: Querier, q: SurgeQuery): Promise<SurgeCounts> {
  const recentStart = q.to - q.windowMs;
  const baselineStart = recentStart - q.baselineMs;
  const minuteBaseline = q.baselineMs <= 2 * 24 * HOUR_MS && baselineStart >= q.now - RETENTION_MS['1m'];
  const f = filterSql(q.filters);
  const match = matchSql(q.codes, q.categories);
  const col = DIMENSION_COLUMN[q.by];
  // Minute buckets wholly or partly inside [recentStart, to): start > recentStart - 1m.
  const rStart = Math.floor(recentStart / MINUTE_MS) * MINUTE_MS;
  // The baseline: minutes just before the window (1m rollup), or whole hours before it (1h rollup).
  const bStart = minuteBaseline
    ? Math.floor(baselineStart / MINUTE_MS) * MINUTE_MS
    : Math.floor(baselineStart / HOUR_MS) * HOUR_MS;
  const bEnd = minuteBaseline ? rStart : Math.floor(rStart / HOUR_MS) * HOUR_MS;
  // A minute baseline is the minutes just before the window, in the same table: one scan of
  // [baseline start, to) split at the window start (about twice as fast as two scans and a UNION ALL
  // on the embedded engine, docs/scaling.md). Aliases differ from the column names (an alias `tenant`
  // would shadow the column inside the aggregate).
  const sql = minuteBaseline
    ? `
    SELECT grp AS group, n AS count, nb AS baseline_count, k AS distinct_keys, tn AS tenant, ls AS last_seen
    FROM (
      SELECT toString(${col}) AS grp,
             sumIf(errors, bucket >= {r_start:DateTime}) AS n,
             sumIf(errors, bucket < {r_start:DateTime}) AS nb,
             uniqExactIf(key_fp, bucket >= {r_start:DateTime}) AS k,
             arrayStringConcat(arraySort(groupUniqArrayIf(tenant, bucket >= {r_start:DateTime})), ',') AS tn,
             toUInt64(toUnixTimestamp(maxIf(bucket, bucket >= {r_start:DateTime}))) * 1000 AS ls
      FROM ${db.tables.calls1m}
      WHERE bucket >= {b_start:DateTime} AND bucket < {r_end:DateTime} AND errors > 0 ${match} ${f.sql}
      GROUP BY grp
      HAVING n > 0
    )
    ORDER BY n DESC, grp`
    : `
    SELECT grp AS group, sum(c) AS count, sum(b) AS baseline_count,
           uniqExactIf(key_fp, c > 0) AS distinct_keys,
           arrayStringConcat(arraySort(groupUniqArrayIf(tenant, c > 0)), ',') AS tenant,
           toUInt64(toUnixTimestamp(maxIf(bucket, c > 0))) * 1000 AS last_seen
    FROM (
      SELECT toString(${col}) AS grp, key_fp, tenant, bucket, errors AS c, toUInt64(0) AS b
      FROM ${db.tables.calls1m}
      WHERE bucket >= {r_start:DateTime} AND bucket < {r_end:DateTime} AND errors > 0 ${match} ${f.sql}
      UNION ALL
      SELECT toString(${col}) AS grp, key_fp, tenant, bucket, toUInt64(0) AS c, errors AS b
      FROM ${db.tables.calls1h}
      WHERE bucket >= {b_start:DateTime} AND bucket < {b_end:DateTime} AND errors > 0 ${match} ${f.sql}
    )
    GROUP BY grp
    HAVING count > 0
    ORDER BY count DESC, grp`;
  const rows = await db.rows(
    'surges',
    sql,
    {
      ...f.params,
      ...(q.codes ? { m_codes: q.codes } : {}),
      ...(q.categories ? { m_categories: q.categories } : {}),
      r_start: sec(rStart),
      r_end: Math.ceil(sec(q.to)),
      b_start: sec(bStart),
      b_end: sec(bEnd),
    },
    SURGE_SHAPE,
  );
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

const WALL_SHAPE = {
  key: 'string',
  tenant: 'string',
  provider: 'string',
  model: 'string',
  code: 'string',
  category: 'string',
  since: 'number',
  last_seen: 'number',
  count: 'number',
  reset_at: 'number?',
  message: 'string',
} as const satisfies Record<keyof WallRow, ColumnKind>;

/**
 * Groups whose latest calls are quota errors: wall-code errors in the lookback that came after the
 * group's last successful minute (from the 1m rollup), with a reset time unknown or still ahead.
 */
export async function queryQuotaWalls(
  db: Querier,
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
    FROM ${db.tables.errors} AS e
    LEFT JOIN (
      SELECT ${col} AS grp, max(bucket) AS last_ok
      FROM ${db.tables.calls1m}
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
  return db.rows(
    'quota walls',
    sql,
    {
      ...f.params,
      ...okFilters.params,
      from: sec(q.from),
      from_min: Math.floor(q.from / MINUTE_MS) * 60,
      now: sec(q.now),
      now_ms: q.now,
      codes: q.codes,
      limit: q.limit,
    },
    WALL_SHAPE,
  );
}
