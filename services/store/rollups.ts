// The rollups' queries (calls_{1m,1h,1d}_v2 and the fleet rollups): series, top-N breakdowns and the
// values of a dimension. The API parses parameters and shapes responses; the SQL is here. Columns
// come from the dimension whitelist, values are typed params, rows are parsed (rows.ts).
import { histogramQuantile } from '../core/latency-histogram.js';
import type { Resolution } from '../query/timeparse.js';
import { DIMENSION_COLUMN, type Dimension, dimensionShape, type Filter, filterSql, selectDims } from './dimensions.js';
import type { Querier } from './querier.js';
import type { ColumnKind } from './rows.js';
import { rollupTable } from './tables.js';

/** Epoch seconds for a parameter: whole seconds for DateTime (floor/ceil them first), fractions for DateTime64(3). */
const sec = (ms: number) => ms / 1000;

export interface SeriesRow {
  time: number;
  calls: number;
  errors: number;
  [label: string]: string | number | null;
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

// The rollups keep a log-bucket histogram per row; a group's merged histogram (sumMap) comes back
// and is read at its nearest-rank buckets here (histogramQuantile, within 5% of the exact quantiles).
// Reading them in SQL made a 125-group series 2-4x slower on the embedded engine (docs/scaling.md).
const LATENCY_SQL = ', sumMap(latency_hist) AS hist';
const LATENCY_SHAPE = { hist: 'histogram' } as const;

/** Rows with `hist` get latency_p50/p90/p99 (ms, one decimal; null without latencies) instead. */
function withQuantiles<R extends { hist?: [number[], number[]] }>(rows: R[]): Omit<R, 'hist'>[] {
  return rows.map(({ hist, ...r }) => {
    if (!hist) return r;
    const q = (x: number) => {
      const v = histogramQuantile(hist[0], hist[1], x);
      return v === null ? null : Math.round(v * 10) / 10;
    };
    return { ...r, latency_p50: q(0.5), latency_p90: q(0.9), latency_p99: q(0.99) };
  });
}

/** Row shape of a grouped rollup query: `base`, the label columns, the latency quantiles when asked. */
function groupedShape(
  base: Record<string, ColumnKind>,
  dims: readonly Dimension[],
  latency: boolean | undefined,
): Record<string, ColumnKind> {
  return { ...base, ...dimensionShape(dims), ...(latency ? LATENCY_SHAPE : {}) };
}

/**
 * Non-zero buckets of a series query (zero-filling is done by the caller). With labels, the label
 * sets are ranked by their totals over the range in a window over the grouped rows, one scan of the
 * rollup (twice as fast as an IN (top groups) subquery on low-cardinality labels, measured).
 */
export async function querySeries(db: Querier, q: SeriesQuery): Promise<SeriesRow[]> {
  const table = db.tables[rollupTable(q.resolution, [...q.groupBy, ...q.filters.map((x) => x.dimension)])];
  const shape = groupedShape({ time: 'number', calls: 'number', errors: 'number' }, q.groupBy, q.latency);
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
    return withQuantiles(await db.rows('series', sql, params, shape)) as SeriesRow[];
  }
  const labels = q.groupBy.join(', ');
  const sql = `
    SELECT time, ${labels}, c AS calls, e AS errors ${q.latency ? ', hist' : ''}
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
  return withQuantiles(await db.rows('series', sql, params, shape)) as SeriesRow[];
}

export interface TopRow {
  calls: number;
  errors: number;
  error_rate: number;
  /** Calls of every group in the range (before the limit): the same on every row. */
  total_calls: number;
  [label: string]: string | number | null;
}

export async function queryTop(
  db: Querier,
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
  const table = db.tables[rollupTable(q.resolution, [...q.by, ...q.filters.map((x) => x.dimension)])];
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
  const shape = groupedShape(
    { calls: 'number', errors: 'number', error_rate: 'number', total_calls: 'number' },
    q.by,
    q.latency,
  );
  const params = { ...f.params, start: Math.floor(sec(q.start)), end: Math.ceil(sec(q.to)), limit: q.limit };
  return withQuantiles(await db.rows('top', sql, params, shape)) as TopRow[];
}

export async function queryValues(
  db: Querier,
  q: { dimension: Dimension; resolution: Resolution; from: number; to: number; filters: Filter[]; limit: number },
): Promise<{ value: string }[]> {
  const f = filterSql(q.filters);
  const col = DIMENSION_COLUMN[q.dimension];
  const sql = `
    SELECT DISTINCT toString(${col}) AS value
    FROM ${db.tables[rollupTable(q.resolution, [q.dimension, ...q.filters.map((x) => x.dimension)])]}
    WHERE bucket >= {start:DateTime} AND bucket < {end:DateTime} ${f.sql}
    ORDER BY value
    LIMIT {limit:UInt32}`;
  const start = Math.floor(q.from / 1000);
  return db.rows(
    'values',
    sql,
    { ...f.params, start, end: Math.ceil(q.to / 1000), limit: q.limit },
    { value: 'string' },
  );
}
