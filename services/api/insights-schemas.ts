// TypeBox schemas of the insight routes (retry waste, incidents, wording drift, wall calendar): the
// validation, the serialization and the OpenAPI document come from these, like schemas.ts.
import { Type } from 'typebox';

const str = (description: string) => Type.Optional(Type.String({ description }));
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

const Range = {
  from: str('Start: epoch ms, ISO 8601 or relative (now-6h). Default: to minus 6h.'),
  to: str('End: epoch ms, ISO 8601 or relative (now). Default: now.'),
};

const Labels = {
  provider: str('Filter: comma-separated providers (empty, *, All or $__all = no filter).'),
  model: str('Filter: comma-separated models.'),
  key: str('Filter: comma-separated key fingerprints (fp_...).'),
  tenant: str('Filter: comma-separated tenants.'),
};

export const RetryWasteQuerystring = Type.Object({
  ...Range,
  ...Labels,
  by: Type.Optional(
    Type.Union([Type.Literal('key'), Type.Literal('tenant'), Type.Literal('model')], {
      default: 'key',
      description: 'Group the waste by key, tenant or model (walls are always tracked per key).',
    }),
  ),
  categories: Type.Optional(
    Type.String({
      default: 'quota,auth,account,permission',
      description: 'Categories of non-retryable errors that count as a wall.',
    }),
  ),
  window: Type.Optional(
    Type.String({ default: '10m', description: 'A repeat of the same non-retryable code within this is waste.' }),
  ),
  min_calls: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'Fewest wasted calls per group.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
});

export const RetryWasteResponse = Type.Object({
  rows: Type.Array(
    Type.Object({
      key: Type.Optional(Type.String({ description: 'With by=key.' })),
      tenant: Type.String({ description: 'The group (by=tenant), else the tenant of the latest wasted call.' }),
      model: Type.String({ description: 'The group (by=model), else the model of the latest wasted call.' }),
      keys: Type.Integer({ description: 'Keys that wasted calls in this group.' }),
      wasted_calls: Type.Integer({ description: 'wall_calls + repeat_calls.' }),
      wall_calls: Type.Integer({ description: 'Failed calls after a wall error, before its reset time.' }),
      repeat_calls: Type.Integer({ description: 'Repeats of the same non-retryable code within the window.' }),
      wasted_ms: Type.Integer({ description: 'Latency of the wasted calls, summed (ms).' }),
      first_seen: Type.Integer({ description: 'First wasted call, epoch ms.' }),
      last_seen: Type.Integer({ description: 'Last wasted call, epoch ms.' }),
      provider: Type.String(),
      code: Type.String({ description: 'Code of the latest wasted call.' }),
      category: Type.String(),
      reset_at: Type.Union([Type.Integer(), Type.Null()], { description: 'The wall reset time, epoch ms.' }),
      reset_at_iso: NullableString,
      advice: Type.String({ description: 'What to do, in one line.' }),
    }),
  ),
});

export { NullableNumber };
