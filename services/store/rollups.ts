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
  // Rows without histograms (latency not asked) pass as they are: no copy of each row.
  if (!rows.some((r) => r.hist)) return rows;
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

/** Dimensions with a handful of values (the providers, the taxonomy's categories, HTTP statuses). */
const FEW_VALUES: ReadonlySet<Dimension> = new Set(['provider', 'category', 'http_status']);

/**
 * Non-zero buckets of a series query (zero-filling is done by the caller), ordered by time, then by
 * the label sets' rank (most errors over the range, then most calls, then labels in the engine's
 * order; topSeries). Grouped by dimensions of few values, the engine returns every (time, label set)
 * row and the ranking is done here: a window function over the grouped rows cost the embedded
 * engine more than the scan (docs/scaling.md).
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
  };
  if (q.groupBy.length === 0) {
    const sql = `
      SELECT ${time}, sum(calls) AS calls, sum(errors) AS errors ${latency}
      FROM ${table} WHERE ${where}
      GROUP BY time ORDER BY time`;
    return withQuantiles(await db.rows('series', sql, params, shape)) as SeriesRow[];
  }
  const labels = q.groupBy.join(', ');
  // Few label sets (provider, category, HTTP status): every row comes back and JavaScript ranks
  // them. Keys, tenants, models and codes may be hundreds of label sets, most of them past
  // max_series: the engine keeps the top ones (dense_rank over the label sets' totals) rather than
  // sending every row (and histogram) of every label set.
  const sql = q.groupBy.every((d) => FEW_VALUES.has(d))
    ? `
    SELECT ${time}, ${selectDims(q.groupBy)}, sum(calls) AS calls, sum(errors) AS errors ${latency}
    FROM ${table} WHERE ${where}
    GROUP BY time, ${labels}`
    : `
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
    WHERE grp_rank <= {max_series:UInt32}`;
  const rows = (await db.rows(
    'series',
    sql,
    { ...params, max_series: q.maxSeries },
    shape,
  )) as unknown as (SeriesRow & {
    hist?: [number[], number[]];
  })[];
  return withQuantiles(topSeries(rows, q.groupBy, q.maxSeries)) as SeriesRow[];
}

/**
 * The rows of the `maxSeries` label sets with the most errors, then the most calls, then the
 * smallest labels (compared as the engine orders them: strings by their UTF-8 bytes, numbers by
 * value), ordered by time and then by that rank.
 */
export function topSeries<R extends { time: number; calls: number; errors: number }>(
  rows: readonly R[],
  groupBy: readonly Dimension[],
  maxSeries: number,
): R[] {
  interface Group {
    labels: (string | number)[];
    calls: number;
    errors: number;
    rank: number;
  }
  const groups = new Map<unknown, Group>();
  const rowGroup: Group[] = new Array(rows.length);
  const single = groupBy.length === 1 ? groupBy[0] : undefined;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as R & Record<string, string | number>;
    const key = single !== undefined ? r[single] : JSON.stringify(groupBy.map((d) => r[d]));
    let g = groups.get(key);
    if (!g) {
      g = { labels: groupBy.map((d) => r[d] as string | number), calls: 0, errors: 0, rank: 0 };
      groups.set(key, g);
    }
    g.calls += r.calls;
    g.errors += r.errors;
    rowGroup[i] = g;
  }
  const ranked = [...groups.values()].sort(
    (a, b) => b.errors - a.errors || b.calls - a.calls || compareLabels(a.labels, b.labels),
  );
  ranked.forEach((g, i) => {
    g.rank = i;
  });
  const kept: number[] = [];
  for (let i = 0; i < rows.length; i++) if ((rowGroup[i] as Group).rank < maxSeries) kept.push(i);
  kept.sort(
    (a, b) => (rows[a] as R).time - (rows[b] as R).time || (rowGroup[a] as Group).rank - (rowGroup[b] as Group).rank,
  );
  return kept.map((i) => rows[i] as R);
}

/** Label tuples in the engine's ORDER BY order: strings by their UTF-8 bytes, numbers by value. */
function compareLabels(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : compareUtf8(String(x), String(y));
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Orders strings by their UTF-8 bytes (ClickHouse's String order). UTF-16 code units order the same
 * way except a surrogate (U+D800-DFFF, half of a code point above U+FFFF) against U+E000-FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Weight(x) - utf8Weight(y);
  }
  return a.length - b.length;
}

const utf8Weight = (c: number) => (c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c);

export interface TopRow {
  calls: number;
  errors: number;
  error_rate: number;
  /** Calls of every group in the range (before the limit): the same on every row. */
  total_calls: number;
  [label: string]: string | number | null;
}

/**
 * The `limit` groups with the most errors, then calls, then the smallest labels. The engine returns
 * every group (one plain GROUP BY); the total over all groups, the order and the limit are done here
 * (a window sum and a sort over the grouped rows cost the embedded engine more than the scan, and the
 * groups are few: docs/scaling.md).
 */
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
  const sql = `
    SELECT ${selectDims(q.by)}, sum(calls) AS calls, sum(errors) AS errors ${q.latency ? LATENCY_SQL : ''}
    FROM ${table}
    WHERE bucket >= {start:DateTime} AND bucket < {end:DateTime} ${f.sql}
    GROUP BY ${q.by.join(', ')}`;
  const shape = groupedShape({ calls: 'number', errors: 'number' }, q.by, q.latency);
  const params = { ...f.params, start: Math.floor(sec(q.start)), end: Math.ceil(sec(q.to)) };
  const groups = (await db.rows('top', sql, params, shape)) as unknown as (TopRow & {
    hist?: [number[], number[]];
  })[];
  let total = 0;
  for (const g of groups) total += g.calls;
  const labels = (r: Record<string, unknown>) => q.by.map((d) => r[d] as string | number);
  const top = groups
    .map((g) => ({ g, labels: labels(g) }))
    .sort((a, b) => b.g.errors - a.g.errors || b.g.calls - a.g.calls || compareLabels(a.labels, b.labels))
    .slice(0, q.limit)
    .map(({ g }) => {
      const row = { ...g, error_rate: g.calls === 0 ? 0 : g.errors / g.calls, total_calls: total };
      return row;
    });
  return withQuantiles(top) as TopRow[];
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
