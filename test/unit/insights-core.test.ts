// The pure decisions behind the insight routes, on hand-planted inputs.
import { describe, expect, it } from 'vitest';
import { codeWording, computeDrift, matchesTemplate } from '../../services/core/drift.js';
import { DEFAULT_INCIDENT_OPTIONS, findIncidents, verdictOf } from '../../services/core/incidents.js';
import { computeRetryWaste, type WasteInput } from '../../services/core/retry-waste.js';
import { wallTimeline } from '../../services/query/wall-timeline.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 7, 25, 8, 0, 0);

function err(
  key: string,
  ts: number,
  code: string,
  reset_at: number | null,
  extra: Partial<WasteInput> = {},
): WasteInput {
  return {
    ts,
    key,
    tenant: `t-${key}`,
    model: 'glm-4.6',
    provider: 'zhipu',
    code,
    category: code === '1000' ? 'auth' : 'quota',
    reset_at,
    latency_ms: 40,
    ...extra,
  };
}

describe('computeRetryWaste', () => {
  const opts = { by: 'key' as const, repeatWindowMs: 10 * MIN };

  it('counts every call after the wall error until the reset, not after it', () => {
    const reset = T0 + 5 * MIN;
    const calls = [0, 1, 2, 3, 4, 6, 7].map((m) => err('a', T0 + m * MIN + 1000, '1308', reset));
    const [row] = computeRetryWaste(calls, new Map(), opts);
    // Minutes 1..4 are before the reset (4 wall calls); 6 and 7 come after it: repeats of 1308.
    expect(row).toMatchObject({ group: 'a', wall_calls: 4, repeat_calls: 2, wasted_calls: 6, wasted_ms: 6 * 40 });
    expect(row?.reset_at).toBe(reset);
    expect(row?.first_seen).toBe(T0 + MIN + 1000);
    expect(row?.last_seen).toBe(T0 + 7 * MIN + 1000);
  });

  it('a success clears the wall: errors in that minute and the reopened wall start over', () => {
    const reset = T0 + 60 * MIN;
    const calls = [0, 1, 2, 3].map((m) => err('a', T0 + m * MIN + 1000, '1310', reset));
    const ok = new Map([['a', new Set([T0 + 2 * MIN])]]);
    const [row] = computeRetryWaste(calls, ok, opts);
    // Minute 1 is waste; minute 2 had a success (not waste, reopens the wall); minute 3 is waste again.
    expect(row?.wall_calls).toBe(2);
  });

  it('repeats count only within the window and only for the same code', () => {
    const calls = [
      err('k', T0, '1000', null),
      err('k', T0 + 5 * MIN, '1000', null),
      err('k', T0 + 30 * MIN, '1000', null),
      err('k', T0 + 31 * MIN, '1113', null),
    ];
    const [row] = computeRetryWaste(calls, new Map(), opts);
    expect(row).toMatchObject({ repeat_calls: 1, wall_calls: 0, code: '1000', category: 'auth' });
    expect(row?.advice).toMatch(/^stop retrying 1000: fix the key/);
  });

  it('groups by tenant across keys, counting the keys', () => {
    const reset = T0 + HOUR;
    const calls = [
      ...[0, 1, 2].map((m) => err('a', T0 + m * MIN, '1308', reset, { tenant: 'acme' })),
      ...[0, 1].map((m) => err('b', T0 + m * MIN, '1308', reset, { tenant: 'acme' })),
      ...[0, 1].map((m) => err('c', T0 + m * MIN, '1308', reset, { tenant: 'globex' })),
    ];
    const rows = computeRetryWaste(calls, new Map(), { ...opts, by: 'tenant' });
    expect(rows.map((r) => [r.group, r.keys, r.wasted_calls])).toEqual([
      ['acme', 2, 3],
      ['globex', 1, 1],
    ]);
    expect(rows[0]?.advice).toContain(`stop calling until ${new Date(reset).toISOString()}`);
  });

  it('a single wall error is no waste', () => {
    expect(computeRetryWaste([err('a', T0, '1310', T0 + MIN)], new Map(), opts)).toEqual([]);
  });
});

describe('findIncidents', () => {
  const o = { ...DEFAULT_INCIDENT_OPTIONS, to: T0 + 60 * MIN };
  const minute = (
    m: number,
    errors: number,
    keys: string[],
    tenants: string[],
    group = '1305',
    category = 'rate_limit',
  ) => ({
    provider: 'zhipu',
    group,
    category,
    minute: T0 + m * MIN,
    errors,
    keys,
    tenants,
  });
  const calls = (from: number, to: number, n: number) =>
    Array.from({ length: to - from }, (_, i) => ({ provider: 'zhipu', minute: T0 + (from + i) * MIN, calls: n }));

  it('merges hot minutes within the gap, splits beyond it, and drops small episodes', () => {
    const ms = [
      minute(0, 5, ['a', 'b'], ['x']),
      minute(3, 5, ['c'], ['y']),
      minute(20, 4, ['a'], ['x']),
      minute(21, 4, ['a'], ['x']),
      minute(22, 4, ['a'], ['x']),
      minute(40, 3, ['a'], ['x']),
    ];
    const found = findIncidents(ms, calls(0, 60, 20), o);
    // 0..3 (10 errors, 3 keys of 2 tenants), 20..22 (12 errors, 1 key); minute 40 alone is 3 < 10.
    expect(found.map((i) => [i.start, i.end, i.errors, i.keys, i.verdict])).toEqual([
      [T0, T0 + 4 * MIN, 10, 3, 'provider-wide'],
      [T0 + 20 * MIN, T0 + 23 * MIN, 12, 1, 'account-scoped'],
    ]);
    expect(found[0]?.provider_calls).toBe(4 * 20);
    expect(found[0]?.share).toBeCloseTo(10 / 80);
  });

  it('a minute under the share of the provider traffic is not hot', () => {
    const ms = [0, 1, 2, 3].map((m) => minute(m, 5, ['a', 'b', 'c'], ['x', 'y']));
    expect(findIncidents(ms, calls(0, 4, 200), o)).toEqual([]);
    expect(findIncidents(ms, calls(0, 4, 50), o)).toHaveLength(1);
  });

  it('account categories are account-scoped even on many keys; ongoing near the end', () => {
    const ms = [55, 56, 57, 58].map((m) => minute(m, 5, ['a', 'b', 'c', 'd'], ['x', 'y'], '1113', 'quota'));
    const [i] = findIncidents(ms, calls(50, 60, 10), o);
    expect(i).toMatchObject({ verdict: 'account-scoped', ongoing: true, category: 'quota' });
  });

  it('verdictOf states the thresholds it used', () => {
    expect(verdictOf('overload', 3, 2, { minKeys: 3, minTenants: 2 }).verdict).toBe('provider-wide');
    expect(verdictOf('overload', 5, 1, { minKeys: 3, minTenants: 2 })).toEqual({
      verdict: 'account-scoped',
      evidence: 'only 5 keys of 1 tenant (provider-wide needs 3 keys of 2 tenants)',
    });
  });
});

describe('computeDrift', () => {
  const w = (provider: string, code: string, sample: string, calls: number, no_reset = 0, at = T0) => ({
    provider,
    code,
    category: 'quota',
    sample,
    calls,
    no_reset,
    first_seen: at,
    last_seen: at + MIN,
  });

  it('documented wordings match: templates with values, Chinese variants, bracketed, titles', () => {
    for (const [provider, code, message] of [
      ['zai', '1310', '[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-25 07:41:44][req-1]'],
      ['zhipu', '1308', 'Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 12:41:44'],
      ['zhipu', '1308', '已达到 5 小时的使用上限。您的限额将在 2026-08-25 12:41:44 重置。'],
      ['zhipu', '1113', '余额不足或无可用资源包,请充值。'],
      [
        'zhipu',
        '1302',
        'High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits',
      ],
      [
        'new-api',
        '1308',
        'Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 12:41:44 (request id: x)',
      ],
    ] as const) {
      const wording = codeWording(provider, code);
      expect(wording, `${provider}/${code}`).not.toBeNull();
      expect(matchesTemplate(wording!, message), message).toBe(true);
    }
    expect(codeWording('openai', 'rate_limit_exceeded')).toBeNull();
  });

  it('counts unmatched wordings and unread reset times per code, with the drifted sample', () => {
    const rows = computeDrift([
      w('zhipu', '1308', 'Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 12:41:44', 90),
      w('zhipu', '1308', 'Quota for the current 5-hour window has been used up', 10, 10, T0 + 5 * MIN),
      w('zhipu', '1113', '余额不足或无可用资源包,请充值。', 7, 7),
      w('openai', 'rate_limit_exceeded', 'anything', 3, 3),
    ]);
    expect(rows).toEqual([
      expect.objectContaining({
        provider: 'zhipu',
        code: '1308',
        calls: 100,
        unmatched: 10,
        unmatched_share: 0.1,
        wordings: 1,
        reset_expected: true,
        no_reset: 10,
        first_seen: T0 + 5 * MIN,
        sample: 'Quota for the current 5-hour window has been used up',
      }),
      // 1113 has no reset time in its template: its null reset times are not drift.
      expect.objectContaining({ code: '1113', unmatched: 0, no_reset: 0, reset_expected: false, first_seen: null }),
    ]);
  });
});

describe('wallTimeline', () => {
  it('blocked from the bucket holding the start until the reset (or now), zero-filled, ordered by time then key', () => {
    const buckets = [0, 1, 2, 3, 4, 5].map((m) => T0 + m * MIN);
    const rows = wallTimeline(
      [
        { key: 'b', since: T0 + MIN + 30_000, until: T0 + 3 * MIN },
        { key: 'a', since: T0 + 4 * MIN, until: null },
      ],
      buckets,
      MIN,
      T0 + 5 * MIN,
    );
    const series = (k: string) => rows.filter((r) => r.key === k).map((r) => r.blocked);
    expect(series('b')).toEqual([0, 1, 1, 0, 0, 0]);
    // No reset time: blocked until now (the bucket starting at now is not).
    expect(series('a')).toEqual([0, 0, 0, 0, 1, 0]);
    expect(rows.slice(0, 2).map((r) => r.key)).toEqual(['a', 'b']);
  });
});
