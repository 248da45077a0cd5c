// The insight routes under /api/v1: questions no gateway answers (retry waste, provider incident or
// own account, wording drift, walls as a calendar). Handlers parse and validate, call one store
// function for the rows and one pure core function for the decision, and shape the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { computeDrift } from '../core/drift.js';
import { findIncidents } from '../core/incidents.js';
import { computeRetryWaste } from '../core/retry-waste.js';
import { CATEGORIES } from '../core/types.js';
import { DAY_MS, HOUR_MS, MAX_POINTS, MINUTE_MS, parseDuration, parseRange } from '../query/timeparse.js';
import { wallTimeline } from '../query/wall-timeline.js';
import {
  type LabelFilters,
  queryIncidentInputs,
  queryWasteInputs,
  queryWordings,
  TooManyRowsError,
} from '../store/insights.js';
import type { Querier } from '../store/querier.js';
import { queryQuotaWalls } from '../store/walls.js';
import { InputError, parseFilters, parseList } from './dimensions.js';
import * as S from './insights-schemas.js';
import { durationParam, MINUTE_ROLLUP_WINDOW_MS, wallWindow } from './params.js';
import { ErrorResponse } from './schemas.js';

export interface InsightDeps {
  db: Querier;
  now: () => number;
}

const errorResponses = { 400: ErrorResponse, 401: ErrorResponse, 500: ErrorResponse };
/** The waste and incident routes read raw errors and the minute rollup: its retention bounds them. */
const MAX_RANGE = MINUTE_ROLLUP_WINDOW_MS;
const MAX_ROWS = 500_000;

function labelFilters(q: Partial<Record<keyof LabelFilters, string | undefined>>): LabelFilters {
  const out: LabelFilters = {};
  for (const k of ['provider', 'model', 'key', 'tenant'] as const) {
    const v = parseList(q[k]);
    if (v) out[k] = v;
  }
  return out;
}

function categoryList(raw: string | undefined, fallback: string): string[] {
  const list = parseList(raw ?? fallback) ?? parseList(fallback) ?? [];
  for (const c of list) {
    if (!(CATEGORIES as readonly string[]).includes(c) || c === 'ok') {
      throw new InputError(`categories: unknown error category '${c}'; use e.g. quota,auth,account,permission`);
    }
  }
  return list;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const insightRoutes: FastifyPluginAsyncTypebox<InsightDeps> = async (app, deps) => {
  const { db, now } = deps;

  app.get(
    '/retry-waste',
    {
      schema: {
        summary: 'Calls spent against a wall: after a wall code before its reset, or repeating a non-retryable error',
        querystring: S.RetryWasteQuerystring,
        response: { 200: S.RetryWasteResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const nowMs = now();
      const range = parseRange(q, nowMs, 6 * HOUR_MS, MAX_RANGE);
      const repeatWindowMs = durationParam(q.window, 'window', DAY_MS);
      const by = q.by;
      let inputs: Awaited<ReturnType<typeof queryWasteInputs>>;
      try {
        inputs = await queryWasteInputs(db, {
          from: range.from,
          to: range.to,
          categories: categoryList(q.categories, S.WASTE_CATEGORIES),
          filters: labelFilters(q),
          maxRows: MAX_ROWS,
        });
      } catch (err) {
        if (err instanceof TooManyRowsError) throw new InputError(`${err.message}: narrow from/to or the filters`);
        throw err;
      }
      const rows = computeRetryWaste(inputs.errors, inputs.okMinutes, { by, repeatWindowMs })
        .filter((r) => r.wasted_calls >= q.min_calls)
        .slice(0, q.limit)
        .map(({ group, ...r }) => ({ ...r, [by]: group, reset_at_iso: iso(r.reset_at) }));
      return { rows };
    },
  );

  app.get(
    '/incidents',
    {
      schema: {
        summary: 'Episodes of one provider x code with a verdict: provider-wide or account-scoped, with the evidence',
        querystring: S.IncidentsQuerystring,
        response: { 200: S.IncidentsResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const nowMs = now();
      const range = parseRange(q, nowMs, 6 * HOUR_MS, MAX_RANGE);
      const gapMs = durationParam(q.gap, 'gap', 6 * HOUR_MS);
      const codes = parseList(q.codes);
      // Empty, * or All: no category filter given (the defaults apply when no code is given either).
      let categories = parseList(q.categories) ? categoryList(q.categories, '') : undefined;
      if (!codes && !categories) categories = categoryList(undefined, S.INCIDENT_CATEGORIES);
      const by = q.by;
      const opts = {
        gapMs,
        minPerMinute: q.min_per_minute,
        minShare: q.min_share,
        minErrors: q.min_errors,
        minKeys: q.min_keys,
        minTenants: q.min_tenants,
        to: range.to,
      };
      const inputs = await queryIncidentInputs(db, {
        from: range.from,
        to: range.to,
        by,
        codes,
        categories,
        minPerMinute: opts.minPerMinute,
        filters: labelFilters(q),
      });
      const rows = findIncidents(inputs.minutes, inputs.providerCalls, opts)
        .filter(
          (i) =>
            (q.verdict === undefined || i.verdict === q.verdict) &&
            (q.ongoing === undefined || i.ongoing === q.ongoing),
        )
        .slice(0, q.limit)
        .map(({ group, ongoing, ...i }) => {
          const code = by === 'code' ? group : '*';
          const category = by === 'category' ? group : i.category;
          return {
            ...i,
            code,
            category,
            ongoing: ongoing ? 1 : 0,
            duration_ms: i.end - i.start,
            share: Math.round(i.share * 1e6) / 1e6,
            provider_wide: i.verdict === 'provider-wide' ? 1 : 0,
            text: `${i.provider}${by === 'provider' ? '' : ` ${by === 'code' ? code : category}`}: ${i.verdict}, ${i.errors} errors on ${i.keys} keys${ongoing ? ' (ongoing)' : ''}`,
          };
        });
      return { rows };
    },
  );

  app.get(
    '/drift',
    {
      schema: {
        summary:
          'Wording drift: per known code, calls whose message matches none of its templates, and wall messages without a readable reset time',
        querystring: S.DriftQuerystring,
        response: { 200: S.DriftResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const range = parseRange(q, now(), 24 * HOUR_MS, MAX_RANGE);
      const wordings = await queryWordings(db, {
        from: range.from,
        to: range.to,
        filters: labelFilters(q),
        codes: parseList(q.codes),
        limit: MAX_ROWS,
      });
      const rows = computeDrift(wordings)
        .filter(
          (r) =>
            r.calls >= q.min_calls &&
            r.unmatched >= q.min_unmatched &&
            (!q.only_drifting || r.unmatched > 0 || r.no_reset > 0),
        )
        .slice(0, q.limit)
        .map((r) => ({
          ...r,
          unmatched_share: Math.round(r.unmatched_share * 1e6) / 1e6,
          reset_expected: r.reset_expected ? 1 : 0,
        }));
      return { rows };
    },
  );

  app.get(
    '/quota-walls/calendar',
    {
      schema: {
        summary:
          'Quota walls as a calendar for automation: who is blocked, from when, until when (soonest reset first)',
        querystring: S.WallCalendarQuerystring,
        response: { 200: S.WallCalendarResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const nowMs = now();
      const wallSpan = wallWindow(q, nowMs);
      const walls = await queryQuotaWalls(db, {
        by: q.by,
        ...wallSpan,
        filters: parseFilters(q),
        limit: q.limit,
      });
      const rows = walls
        .map((w) => {
          const until = w.reset_at === null ? null : Number(w.reset_at);
          return {
            key: w.key,
            tenant: w.tenant,
            provider: w.provider,
            model: w.model,
            code: w.code,
            since: Number(w.since),
            until,
            until_iso: until === null ? '' : new Date(until).toISOString(),
            reset_at_epoch: until === null ? '' : String(Math.floor(until / 1000)),
            blocked_ms: until === null ? null : until - Number(w.since),
            remaining_ms: until === null ? null : until - nowMs,
            blocked: 1,
            calls: Number(w.count),
            last_seen: Number(w.last_seen),
            action:
              until === null
                ? 'pause the key: no reset time, a person must recharge or raise the limit'
                : `pause the key until ${new Date(until).toISOString()}, then resume`,
          };
        })
        .sort(
          (a, b) => (a.until ?? Number.MAX_SAFE_INTEGER) - (b.until ?? Number.MAX_SAFE_INTEGER) || a.since - b.since,
        );
      return { rows };
    },
  );

  app.get(
    '/quota-walls/timeline',
    {
      schema: {
        summary: 'Quota walls as states over time (Grafana state timeline): 1 while a key is blocked, per bucket',
        querystring: S.WallTimelineQuerystring,
        response: { 200: S.WallTimelineResponse, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const nowMs = now();
      const range = parseRange(q, nowMs, 6 * HOUR_MS, MAX_RANGE);
      const wallSpan = wallWindow(q, nowMs);
      const asked = q.step ? parseDuration(q.step, 'step') : MINUTE_MS;
      // Whole minutes, and few enough buckets (the same bound as the series route).
      const minStep = Math.ceil((range.to - range.from) / MAX_POINTS / MINUTE_MS) * MINUTE_MS;
      const stepMs = Math.max(MINUTE_MS, Math.ceil(asked / MINUTE_MS) * MINUTE_MS, minStep);
      const walls = await queryQuotaWalls(db, {
        by: 'key',
        ...wallSpan,
        filters: parseFilters(q),
        limit: 1000,
      });
      const buckets: number[] = [];
      for (let t = Math.floor(range.from / stepMs) * stepMs; t < range.to; t += stepMs) buckets.push(t);
      const spans = walls.map((w) => ({
        key: w.key,
        since: Number(w.since),
        until: w.reset_at === null ? null : Number(w.reset_at),
      }));
      return { step_ms: stepMs, rows: wallTimeline(spans, buckets, stepMs, nowMs) };
    },
  );
};
