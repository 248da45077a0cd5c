// TypeBox schemas of the insight routes (retry waste, incidents, wording drift, wall calendar): the
// validation, the serialization and the OpenAPI document come from these, like schemas.ts.
import { Type } from 'typebox';
import { DEFAULT_INCIDENT_OPTIONS as D } from '../core/incidents.js';
import { formatDuration } from '../query/timeparse.js';
import { FilterQuery, str, WallQuery, withDefault } from './schemas.js';

/** Non-retryable categories whose repeats count as retry waste (also what `categories=All` means). */
export const WASTE_CATEGORIES = 'quota,auth,account,permission';
/** Categories an incident follows when neither codes nor categories are given. */
export const INCIDENT_CATEGORIES = 'overload,rate_limit,server_error,timeout,network,quota,auth,account,permission';

const NullableString = Type.Union([Type.String(), Type.Null()]);

const Range = {
  from: str('Start: epoch ms, ISO 8601 or relative (now-6h). Default: to minus 6h.'),
  to: str('End: epoch ms, ISO 8601 or relative (now). Default: now.'),
};

const Labels = {
  provider: FilterQuery.provider,
  model: FilterQuery.model,
  key: FilterQuery.key,
  tenant: FilterQuery.tenant,
};

export const RetryWasteQuerystring = Type.Object({
  ...Range,
  ...Labels,
  by: withDefault(
    Type.Union([Type.Literal('key'), Type.Literal('tenant'), Type.Literal('model')], {
      default: 'key',
      description: 'Group the waste by key, tenant or model (walls are always tracked per key).',
    }),
  ),
  categories: withDefault(
    Type.String({
      default: WASTE_CATEGORIES,
      description: 'Categories of non-retryable errors that count as a wall.',
    }),
  ),
  window: withDefault(
    Type.String({ default: '10m', description: 'A repeat of the same non-retryable code within this is waste.' }),
  ),
  min_calls: withDefault(Type.Integer({ minimum: 1, default: 1, description: 'Fewest wasted calls per group.' })),
  limit: withDefault(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
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

export const IncidentsQuerystring = Type.Object({
  ...Range,
  ...Labels,
  by: withDefault(
    Type.Union([Type.Literal('code'), Type.Literal('category'), Type.Literal('provider')], {
      default: 'code',
      description: 'An episode is of one provider x code, provider x category, or provider (all matching errors).',
    }),
  ),
  codes: str('Error codes to follow (comma-separated). Matches code OR category.'),
  categories: str(`Error categories to follow. Default (neither given): ${INCIDENT_CATEGORIES}.`),
  gap: withDefault(
    Type.String({
      default: formatDuration(D.gapMs),
      description: 'Hot minutes at most this far apart are one episode.',
    }),
  ),
  min_per_minute: withDefault(
    Type.Integer({ minimum: 1, default: D.minPerMinute, description: 'Fewest errors for a hot minute.' }),
  ),
  min_share: withDefault(
    Type.Number({
      minimum: 0,
      maximum: 1,
      default: D.minShare,
      description: "Smallest share of the provider's calls in a hot minute.",
    }),
  ),
  min_errors: withDefault(
    Type.Integer({ minimum: 1, default: D.minErrors, description: 'Fewest errors in an episode.' }),
  ),
  min_keys: withDefault(
    Type.Integer({ minimum: 1, default: D.minKeys, description: 'Provider-wide needs at least this many keys...' }),
  ),
  min_tenants: withDefault(
    Type.Integer({ minimum: 1, default: D.minTenants, description: '...of at least this many tenants.' }),
  ),
  verdict: Type.Optional(
    Type.Union([Type.Literal('provider-wide'), Type.Literal('account-scoped')], { description: 'Only this verdict.' }),
  ),
  ongoing: Type.Optional(Type.Boolean({ description: 'Only ongoing (true) or ended (false) episodes.' })),
  limit: withDefault(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
});

export const IncidentsResponse = Type.Object({
  rows: Type.Array(
    Type.Object({
      provider: Type.String(),
      code: Type.String({ description: "The code (by=code), else '*'." }),
      category: Type.String({ description: 'The category (by=category), else the one with most errors.' }),
      start: Type.Integer({ description: 'First hot minute, epoch ms.' }),
      end: Type.Integer({ description: 'End of the last hot minute, epoch ms.' }),
      ongoing: Type.Integer({ description: '1 when the last hot minute ended less than `gap` before `to`.' }),
      duration_ms: Type.Integer(),
      errors: Type.Integer(),
      provider_calls: Type.Integer({ description: "The provider's calls over the episode." }),
      share: Type.Number({ description: "errors / provider_calls: the share of the provider's traffic." }),
      peak_per_minute: Type.Integer(),
      keys: Type.Integer({ description: 'Distinct keys affected.' }),
      tenants: Type.Integer({ description: 'Distinct tenants affected.' }),
      verdict: Type.Union([Type.Literal('provider-wide'), Type.Literal('account-scoped')]),
      provider_wide: Type.Integer({ description: '1 for provider-wide, else 0 (for alert rules).' }),
      evidence: Type.String(),
      text: Type.String({ description: 'One line for annotations.' }),
    }),
  ),
});

export const DriftQuerystring = Type.Object({
  ...Range,
  ...Labels,
  codes: str('Only these codes (comma-separated).'),
  min_calls: withDefault(Type.Integer({ minimum: 1, default: 1, description: 'Fewest calls of the code.' })),
  min_unmatched: withDefault(
    Type.Integer({ minimum: 0, default: 0, description: 'Fewest calls whose wording matches no template.' }),
  ),
  only_drifting: withDefault(
    Type.Boolean({ default: false, description: 'Only codes with unmatched wordings or unread reset times.' }),
  ),
  limit: withDefault(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
});

export const DriftResponse = Type.Object({
  rows: Type.Array(
    Type.Object({
      provider: Type.String(),
      code: Type.String(),
      category: Type.String(),
      calls: Type.Integer({ description: 'Calls of this known code with a message.' }),
      unmatched: Type.Integer({ description: "Calls whose message matches none of the code's templates." }),
      unmatched_share: Type.Number(),
      wordings: Type.Integer({ description: 'Distinct unmatched wordings.' }),
      reset_expected: Type.Integer({ description: '1 when the documented wording carries a reset time.' }),
      no_reset: Type.Integer({ description: 'Wall messages from which no reset time could be read.' }),
      first_seen: Type.Union([Type.Integer(), Type.Null()], { description: 'First drifted call, epoch ms.' }),
      last_seen: Type.Union([Type.Integer(), Type.Null()], { description: 'Last drifted call, epoch ms.' }),
      sample: Type.String({ description: 'A drifted message (empty when none).' }),
      template: Type.String({ description: 'The documented wording.' }),
    }),
  ),
});

export const WallCalendarQuerystring = Type.Object({ ...Labels, ...WallQuery });

export const WallCalendarResponse = Type.Object({
  rows: Type.Array(
    Type.Object({
      key: Type.String({ description: 'Key fingerprint (fp_...).' }),
      tenant: Type.String(),
      provider: Type.String(),
      model: Type.String(),
      code: Type.String(),
      since: Type.Integer({ description: 'Blocked from (first wall error after the last success), epoch ms.' }),
      until: Type.Union([Type.Integer(), Type.Null()], { description: 'Blocked until (the reset time), epoch ms.' }),
      until_iso: Type.String({ description: "The reset time, ISO 8601 UTC; '' when the provider gave none." }),
      reset_at_epoch: Type.String({ description: "The reset time in epoch seconds as text; '' when unknown." }),
      blocked_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'until - since.' }),
      remaining_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'until - now.' }),
      blocked: Type.Integer({ description: 'Always 1 (a number column for alert rules).' }),
      calls: Type.Integer({ description: 'Failed calls since the wall started.' }),
      last_seen: Type.Integer(),
      action: Type.String({ description: 'What automation should do.' }),
    }),
  ),
});

export const WallTimelineQuerystring = Type.Object({
  ...Range,
  ...Labels,
  step: str('Bucket width (1m at least). Default: 1m, widened to stay under 11000 points per key.'),
  lookback: WallQuery.lookback,
  codes: WallQuery.codes,
});

export const WallTimelineResponse = Type.Object({
  step_ms: Type.Integer(),
  rows: Type.Array(
    Type.Object({
      time: Type.Integer({ description: 'Bucket start, epoch ms.' }),
      key: Type.String(),
      blocked: Type.Integer({ description: '1 while the key is at its wall (until the reset), else 0.' }),
    }),
  ),
});
