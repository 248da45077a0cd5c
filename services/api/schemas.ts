// TypeBox schemas of the query API: the validation, the serialization and the OpenAPI document all
// come from these. Response rows are flat objects with typed columns (Grafana Infinity, root `rows`).
import { type TSchema, Type } from 'typebox';
import { QUOTA_WALL_CODES } from '../core/taxonomy.js';
import { DIMENSIONS } from './dimensions.js';

/**
 * A parameter that may be left out and has a default: optional in the OpenAPI document and to the
 * validator, which fills the default in (plugins/validation.ts, useDefaults), so the handler's type
 * has the value. The schema is the one place the default is stated: handlers need no `??` fallback.
 */
export function withDefault<T extends TSchema>(schema: T): T {
  if ((schema as { default?: unknown }).default === undefined) {
    throw new Error('withDefault: the schema declares no default');
  }
  return Type.Optional(schema) as unknown as T;
}

/** An optional string parameter without a default. */
export const str = (description: string) => Type.Optional(Type.String({ description }));

const TimeQuery = {
  from: str('Start: epoch ms, ISO 8601 or relative (now-6h). Default: to minus 1h.'),
  to: str('End: epoch ms, ISO 8601 or relative (now). Default: now.'),
};

export const FilterQuery = {
  provider: str('Filter: comma-separated providers (empty, *, All or $__all = no filter).'),
  model: str('Filter: comma-separated models.'),
  key: str('Filter: comma-separated key fingerprints (fp_...).'),
  tenant: str('Filter: comma-separated tenants.'),
  category: str('Filter: comma-separated categories (quota, rate_limit, ...).'),
  code: str('Filter: comma-separated provider codes (1310, insufficient_quota, ...).'),
  http_status: str('Filter: comma-separated HTTP statuses (429,500).'),
};

const dimsDescription = 'comma-separated dimensions: provider, model, key, tenant, category, code, http_status';

export const SeriesQuerystring = Type.Object({
  ...TimeQuery,
  ...FilterQuery,
  step: str('Bucket width (30s, 1m, 5m, 1h, 1d), rounded up to the resolution. Default: the resolution.'),
  group_by: str(`Label columns of the series, ${dimsDescription}. Empty: one series.`),
  latency: withDefault(
    Type.Boolean({ default: false, description: 'Add latency_p50/p90/p99 columns (ms; null without calls).' }),
  ),
  max_series: withDefault(
    Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Most label sets (most errors first).' }),
  ),
});

export const TopQuerystring = Type.Object({
  ...TimeQuery,
  ...FilterQuery,
  by: withDefault(Type.String({ description: `Breakdown, ${dimsDescription}.`, default: 'code' })),
  latency: withDefault(Type.Boolean({ default: false, description: 'Add latency_p50/p90/p99 columns (ms).' })),
  limit: withDefault(Type.Integer({ minimum: 1, maximum: 1000, default: 10 })),
});

export const SurgesQuerystring = Type.Object({
  ...FilterQuery,
  to: str('End of the recent window (default now).'),
  codes: str('Error codes to count (comma-separated), e.g. 1310. Matches code OR category.'),
  categories: str('Error categories to count (comma-separated), e.g. quota,rate_limit.'),
  by: withDefault(
    Type.Union([Type.Literal('key'), Type.Literal('tenant'), Type.Literal('model'), Type.Literal('provider')], {
      default: 'key',
    }),
  ),
  window: withDefault(Type.String({ default: '15m', description: 'Recent window length (e.g. 15m).' })),
  baseline: withDefault(Type.String({ default: '24h', description: 'Baseline window before the recent one.' })),
  min_count: withDefault(
    Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 5, description: 'Fewest errors for a surge.' }),
  ),
  ratio: withDefault(
    Type.Number({ minimum: 0, maximum: 1_000_000, default: 3, description: 'Smallest count/expected for a surge.' }),
  ),
  z: Type.Optional(
    Type.Number({
      minimum: -1_000_000,
      maximum: 1_000_000,
      description: 'Smallest Poisson z-score for a surge (not checked when absent).',
    }),
  ),
  only_surging: withDefault(Type.Boolean({ default: false, description: 'Return surging groups only.' })),
  limit: withDefault(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
});

/** The parameters of the quota-wall routes (params.ts wallWindow reads lookback and codes). */
export const WallQuery = {
  by: withDefault(Type.Union([Type.Literal('key'), Type.Literal('tenant')], { default: 'key' })),
  lookback: withDefault(Type.String({ default: '6h', description: 'How far back to look for wall errors.' })),
  codes: withDefault(
    Type.String({ default: QUOTA_WALL_CODES.join(','), description: 'Codes meaning "blocked by a usage limit".' }),
  ),
  limit: withDefault(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
};

export const WallsQuerystring = Type.Object({ ...FilterQuery, ...WallQuery });

export const SamplesQuerystring = Type.Object({
  ...TimeQuery,
  ...FilterQuery,
  limit: withDefault(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const TaxonomyQuerystring = Type.Object({
  provider: FilterQuery.provider,
  category: FilterQuery.category,
});

export const UnknownQuerystring = Type.Object({
  from: str('Only codes seen since (epoch ms, ISO or relative). Default: all time.'),
  provider: FilterQuery.provider,
  limit: withDefault(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
});

export const ValuesParams = Type.Object({
  dimension: Type.Unsafe<(typeof DIMENSIONS)[number]>({
    type: 'string',
    enum: [...DIMENSIONS],
    description: 'The dimension whose values to list.',
  }),
});

export const ValuesQuerystring = Type.Object({
  from: str('Start (default: to minus 7d).'),
  to: str('End (default: now).'),
  ...FilterQuery,
  limit: withDefault(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
});

// Label columns that may appear in a grouped row (only the requested ones do).
const Labels = {
  provider: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  key: Type.Optional(Type.String()),
  tenant: Type.Optional(Type.String()),
  category: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  http_status: Type.Optional(Type.Integer()),
};

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

const Latency = {
  latency_p50: Type.Optional(NullableNumber),
  latency_p90: Type.Optional(NullableNumber),
  latency_p99: Type.Optional(NullableNumber),
};

export const SeriesResponse = Type.Object({
  resolution: Type.Union([Type.Literal('1m'), Type.Literal('1h'), Type.Literal('1d')]),
  step_ms: Type.Integer(),
  from: Type.Integer({ description: 'Effective range start (epoch ms).' }),
  to: Type.Integer(),
  rows: Type.Array(
    Type.Object({
      time: Type.Integer({ description: 'Bucket start, epoch ms.' }),
      ...Labels,
      calls: Type.Integer(),
      errors: Type.Integer(),
      error_rate: Type.Number({ description: 'errors / calls, 0 when there were no calls.' }),
      ...Latency,
    }),
  ),
});

export const TopResponse = Type.Object({
  resolution: Type.Union([Type.Literal('1m'), Type.Literal('1h'), Type.Literal('1d')]),
  total_calls: Type.Integer({
    description: 'Every call in the range under the filters (all groups, not only these rows).',
  }),
  rows: Type.Array(
    Type.Object({
      ...Labels,
      calls: Type.Integer(),
      errors: Type.Integer(),
      error_rate: Type.Number({ description: 'errors / calls of this group (1 for a group of error codes).' }),
      error_share: Type.Number({ description: "errors / total_calls: this group's failures as a share of all calls." }),
      ...Latency,
    }),
  ),
});

export const SurgesResponse = Type.Object({
  window_ms: Type.Integer(),
  baseline_ms: Type.Integer({ description: 'Baseline length actually counted.' }),
  baseline_resolution: Type.String(),
  rows: Type.Array(
    Type.Object({
      key: Type.Optional(Type.String()),
      tenant: Type.Optional(
        Type.String({
          description:
            'The group (by=tenant), else the tenants of its matching errors in the window, comma-separated (a key has one).',
        }),
      ),
      model: Type.Optional(Type.String()),
      provider: Type.Optional(Type.String()),
      count: Type.Integer({ description: 'Matching errors in the recent window.' }),
      baseline_count: Type.Integer({ description: 'Matching errors in the baseline window before it.' }),
      expected: Type.Number({
        description: 'The baseline rate scaled to the window: baseline_count × window / baseline.',
      }),
      ratio: Type.Number({ description: 'count / max(expected, 1): how many times the usual count.' }),
      score: Type.Number({
        description:
          'Poisson z-score (count − expected) / √max(expected, 1): standard deviations above the usual count.',
      }),
      surging: Type.Integer({ description: '1 when surging, else 0.' }),
      distinct_keys: Type.Integer(),
      last_seen: Type.Integer({ description: 'Start of the last minute with a matching error, epoch ms.' }),
    }),
  ),
});

export const WallsResponse = Type.Object({
  rows: Type.Array(
    Type.Object({
      key: Type.String(),
      tenant: Type.String(),
      provider: Type.String(),
      model: Type.String(),
      code: Type.String(),
      category: Type.String(),
      since: Type.Integer(),
      last_seen: Type.Integer(),
      count: Type.Integer(),
      reset_at: NullableNumber,
      message: Type.String(),
    }),
  ),
});

export const SamplesResponse = Type.Object({
  rows: Type.Array(
    Type.Object({
      time: Type.Integer(),
      provider: Type.String(),
      model: Type.String(),
      key: Type.String(),
      tenant: Type.String(),
      category: Type.String(),
      code: Type.String(),
      http_status: Type.Integer(),
      message: Type.String(),
      reset_at: NullableNumber,
      request_id: Type.String(),
      retryable: Type.Boolean(),
    }),
  ),
});

export const TaxonomyResponse = Type.Object({
  rows: Type.Array(
    Type.Object({
      provider: Type.String(),
      code: Type.String(),
      http_status: NullableNumber,
      category: Type.String(),
      retryable: Type.Boolean(),
      title: Type.String(),
      remedy: Type.String(),
    }),
  ),
});

export const UnknownResponse = Type.Object({
  rows: Type.Array(
    Type.Object({
      provider: Type.String(),
      code: Type.String(),
      first_seen: Type.Integer(),
      last_seen: Type.Integer(),
      calls: Type.Integer(),
      http_status: Type.Integer(),
      category: Type.String(),
      sample_message: Type.String(),
    }),
  ),
});

export const ValuesResponse = Type.Object({ rows: Type.Array(Type.Object({ value: Type.String() })) });

export const ErrorResponse = Type.Object({ error: Type.String(), message: Type.String() });

export const StatusResponse = Type.Object({ status: Type.String() });
