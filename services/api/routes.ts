// The data routes under /api/v1. Handlers parse and validate (400 with what to fix), run one query
// module function, and shape rows. No SQL here.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { evaluateSurge } from '../query/surge.js';
import {
  bucketStarts,
  DAY_MS,
  parseDuration,
  parseRange,
  parseTime,
  planSeries,
  TimeInputError,
} from '../query/timeparse.js';
import { querySamples, queryUnknownCodes } from '../store/errors.js';
import type { Querier } from '../store/querier.js';
import { querySeries, queryTop, queryValues } from '../store/rollups.js';
import { queryQuotaWalls, querySurgeCounts } from '../store/walls.js';
import { type Dimension, InputError, isDimension, parseDimensions, parseFilters, parseList } from './dimensions.js';
import { durationParam, MINUTE_ROLLUP_WINDOW_MS, wallWindow } from './params.js';
import * as S from './schemas.js';

/** One row of the taxonomy catalog as the API shows it (services/core/taxonomy.ts has more fields). */
export interface CatalogEntry {
  provider: string;
  code: string;
  http_status: number | null;
  category: string;
  retryable: boolean;
  title: string;
  remedy: string;
}

export interface RouteDeps {
  db: Querier;
  now: () => number;
  taxonomy: readonly CatalogEntry[];
}

/** Every answer a data route may give besides 200: bad input, no token, rate limit, load shed, failure. */
const errorResponses = {
  400: S.ErrorResponse,
  401: S.ErrorResponse,
  429: S.ErrorResponse,
  500: S.ErrorResponse,
  503: S.ErrorResponse,
};

export const dataRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const { db, now } = deps;

  app.get(
    '/series',
    {
      schema: {
        summary: 'Calls, errors and error rate over time (long format, zero-filled)',
        querystring: S.SeriesQuerystring,
        response: { 200: S.SeriesResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const nowMs = now();
      const range = parseRange(q, nowMs);
      const stepMs = q.step ? parseDuration(q.step, 'step') : undefined;
      const plan = planSeries(range, nowMs, stepMs);
      const groupBy = parseDimensions(q.group_by, 'group_by');
      const filters = parseFilters(q);
      const raw = await querySeries(db, {
        resolution: plan.resolution,
        stepMs: plan.step_ms,
        start: plan.start,
        to: range.to,
        groupBy,
        filters,
        maxSeries: q.max_series,
        latency: q.latency,
      });
      return {
        resolution: plan.resolution,
        step_ms: plan.step_ms,
        from: plan.start,
        to: range.to,
        rows: zeroFill(raw, groupBy, bucketStarts(plan, range.to), q.latency),
      };
    },
  );

  app.get(
    '/top',
    {
      schema: {
        summary: 'Top-N breakdown over a range, ordered by errors',
        querystring: S.TopQuerystring,
        response: { 200: S.TopResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const nowMs = now();
      const range = parseRange(q, nowMs);
      const plan = planSeries(range, nowMs);
      const by = parseDimensions(q.by, 'by');
      if (by.length === 0) throw new InputError(`by: give at least one dimension, e.g. by=code`);
      const rows = await queryTop(db, {
        resolution: plan.resolution,
        start: plan.start,
        to: range.to,
        by,
        filters: parseFilters(q),
        limit: q.limit,
        latency: q.latency,
      });
      // With by=code every error row has error_rate 1: the share of all calls says how much it matters.
      const total = rows.length > 0 ? Number(rows[0]?.total_calls) : 0;
      return {
        resolution: plan.resolution,
        total_calls: total,
        rows: rows.map(({ total_calls: _, ...r }) => ({ ...r, error_share: total ? r.errors / total : 0 })),
      };
    },
  );

  app.get(
    '/surges',
    {
      schema: {
        summary: 'Per group: matching errors in the recent window vs the baseline rate, score and decision',
        querystring: S.SurgesQuerystring,
        response: { 200: S.SurgesResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const nowMs = now();
      const to = q.to ? parseTime(q.to, nowMs, 'to') : nowMs;
      const windowMs = durationParam(q.window, 'window', MINUTE_ROLLUP_WINDOW_MS);
      const baselineMs = durationParam(q.baseline, 'baseline', 30 * DAY_MS);
      if (windowMs < 60_000) throw new TimeInputError(`window must be at least 1m (minute rollup)`);
      if (baselineMs < windowMs) throw new TimeInputError(`baseline must be at least as long as window`);
      if (to - windowMs < nowMs - MINUTE_ROLLUP_WINDOW_MS) {
        throw new TimeInputError(`to: the recent window must lie within the last 13 days (minute rollup retention)`);
      }
      const by: Dimension = q.by;
      const counts = await querySurgeCounts(db, {
        by,
        to,
        windowMs,
        baselineMs,
        codes: parseList(q.codes),
        categories: parseList(q.categories),
        filters: parseFilters(q),
        now: nowMs,
      });
      const thresholds = { minCount: q.min_count, ratio: q.ratio, z: q.z };
      const rows = counts.rows
        .map((r) => {
          const s = evaluateSurge(
            { count: r.count, baselineCount: r.baseline_count, windowMs, baselineMs: counts.baselineMs },
            thresholds,
          );
          return {
            tenant: r.tenant,
            [by]: r.group,
            count: r.count,
            baseline_count: r.baseline_count,
            expected: round(s.expected),
            ratio: round(s.ratio),
            score: round(s.score),
            surging: s.surging,
            distinct_keys: r.distinct_keys,
            last_seen: r.last_seen,
          };
        })
        .filter((r) => !q.only_surging || r.surging === 1)
        .slice(0, q.limit);
      return {
        window_ms: windowMs,
        baseline_ms: counts.baselineMs,
        baseline_resolution: counts.baselineResolution,
        rows,
      };
    },
  );

  app.get(
    '/quota-walls',
    {
      schema: {
        summary: 'Keys or tenants currently blocked by a usage limit, with since and reset time',
        querystring: S.WallsQuerystring,
        response: { 200: S.WallsResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const nowMs = now();
      const wallSpan = wallWindow(q, nowMs);
      const rows = await queryQuotaWalls(db, {
        by: q.by,
        ...wallSpan,
        filters: parseFilters(q),
        limit: q.limit,
      });
      return { rows };
    },
  );

  app.get(
    '/samples',
    {
      schema: {
        summary: 'Recent failed calls, newest first',
        querystring: S.SamplesQuerystring,
        response: { 200: S.SamplesResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const range = parseRange(q, now());
      const rows = await querySamples(db, {
        from: range.from,
        to: range.to,
        filters: parseFilters(q),
        limit: q.limit,
      });
      return { rows };
    },
  );

  app.get(
    '/taxonomy',
    {
      schema: {
        summary: 'The error taxonomy catalog',
        querystring: S.TaxonomyQuerystring,
        response: { 200: S.TaxonomyResponse, ...errorResponses },
      },
    },
    async (req) => {
      const providers = parseList(req.query.provider);
      const categories = parseList(req.query.category);
      const rows = deps.taxonomy.filter(
        (t) => (!providers || providers.includes(t.provider)) && (!categories || categories.includes(t.category)),
      );
      return { rows };
    },
  );

  app.get(
    '/unknown-codes',
    {
      schema: {
        summary: 'Codes seen that the taxonomy does not know',
        querystring: S.UnknownQuerystring,
        response: { 200: S.UnknownResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await queryUnknownCodes(db, {
        since: q.from ? parseTime(q.from, now(), 'from') : undefined,
        provider: parseList(q.provider),
        limit: q.limit,
      });
      return { rows };
    },
  );

  app.get(
    '/values/:dimension',
    {
      schema: {
        summary: 'Distinct values of a dimension (Grafana template variables)',
        params: S.ValuesParams,
        querystring: S.ValuesQuerystring,
        response: { 200: S.ValuesResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { dimension } = req.params;
      if (!isDimension(dimension)) {
        throw new InputError(
          `unknown dimension '${dimension}'; use one of provider, model, key, tenant, category, code, http_status`,
        );
      }
      const nowMs = now();
      const range = parseRange(req.query, nowMs, 7 * DAY_MS);
      const plan = planSeries(range, nowMs);
      const rows = await queryValues(db, {
        dimension,
        resolution: plan.resolution,
        from: plan.start,
        to: range.to,
        filters: parseFilters(req.query, [dimension]),
        limit: req.query.limit,
      });
      return { rows };
    },
  );
};

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

type SeriesOut = { time: number; calls: number; errors: number; error_rate: number } & Record<
  string,
  string | number | null
>;

const LATENCY_COLUMNS = ['latency_p50', 'latency_p90', 'latency_p99'] as const;

/**
 * Every label set gets every bucket: Grafana draws gaps as zeros and alerts see numbers. Rows are
 * ordered by time, then by label set in first-seen order. With `latency`, empty buckets have null
 * quantiles (no call, no latency).
 */
export function zeroFill(
  raw: readonly ({ time: number; calls: number; errors: number } & Record<string, unknown>)[],
  groupBy: readonly Dimension[],
  buckets: readonly number[],
  latency = false,
): SeriesOut[] {
  // One array of cells per label set, indexed by bucket (a series may be thousands of rows: the
  // answer of a 6h series by category is ~2k rows, and this loop is most of its JavaScript).
  const slot = new Map<number, number>();
  for (let i = 0; i < buckets.length; i++) slot.set(buckets[i] as number, i);
  type Raw = (typeof raw)[number];
  const groups = new Map<unknown, { labels: Record<string, string | number>; cells: Raw[] }>();
  const single = groupBy.length === 1 ? groupBy[0] : undefined;
  for (const r of raw) {
    const gk = groupBy.length === 0 ? '' : single !== undefined ? r[single] : JSON.stringify(groupBy.map((d) => r[d]));
    let g = groups.get(gk);
    if (!g) {
      const labels: Record<string, string | number> = {};
      for (const d of groupBy) labels[d] = r[d] as string | number;
      g = { labels, cells: new Array(buckets.length) };
      groups.set(gk, g);
    }
    const i = slot.get(r.time);
    if (i === undefined) continue;
    g.cells[i] = r;
  }
  if (groupBy.length === 0 && groups.size === 0) groups.set('', { labels: {}, cells: [] });
  const empty: Raw = { time: 0, calls: 0, errors: 0 };
  const all = [...groups.values()];
  const out: SeriesOut[] = new Array(buckets.length * all.length);
  let n = 0;
  for (let i = 0; i < buckets.length; i++) {
    const time = buckets[i] as number;
    for (const g of all) {
      const c = g.cells[i] ?? empty;
      const calls = Number(c.calls);
      const errors = Number(c.errors);
      const row = { time, calls, errors, error_rate: calls ? errors / calls : 0 } as SeriesOut;
      for (const d of groupBy) row[d] = g.labels[d] as string | number;
      if (latency) for (const k of LATENCY_COLUMNS) row[k] = c[k] === null || c[k] === undefined ? null : Number(c[k]);
      out[n++] = row;
    }
  }
  return out;
}
