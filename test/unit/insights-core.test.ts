// The pure decisions behind the insight routes, on hand-planted inputs.
import { describe, expect, it } from 'vitest';
import { computeRetryWaste, type WasteInput } from '../../services/core/retry-waste.js';

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
