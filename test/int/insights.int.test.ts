// The insight routes (retry waste, incidents, wording drift, wall calendar) through app.inject()
// against the real embedded ClickHouse, seeded through the real pipeline. Every expected value is
// computed from the planted envelopes or the stored records, never copied from an answer.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fingerprintKey } from '../../services/core/fingerprint.js';
import { TAXONOMY } from '../../services/core/taxonomy.js';
import type { CallRecord, Envelope } from '../../services/core/types.js';
import { migrate } from '../../services/store/migrate.js';
import { generateTraffic, planTraffic } from '../../services/traffic/index.js';
import { injectUnshed, type TestApp, testApp } from '../helpers/app.js';
import { byTime, keyCall } from '../helpers/planted.js';
import { generateEnvelopes, ingestEnvelopes, openTestStore, type SeedKey, type TestStore } from '../helpers/seed.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const TOKEN = 'insights-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const NOW = Math.floor(Date.now() / MIN) * MIN + 30_000;
const secs = (ms: number) => Math.floor(ms / 1000) * 1000;
const START = NOW - 3 * HOUR;
const WALL_START = NOW - 60 * MIN;
const WALL_RESET = secs(NOW + 2 * HOUR);
const WALL_PER_MIN = 4;
const ARREARS_START = NOW - 30 * MIN;
const ARREARS_PER_MIN = 2;
// The provider-wide episode: 1305 on every zhipu key; the one-key episode: 529 on one anthropic key.
const INCIDENT = { startMs: NOW - 40 * MIN, endMs: NOW - 25 * MIN, perMinute: 3 };
const LONE = { startMs: NOW - 50 * MIN, endMs: NOW - 35 * MIN, perMinute: 5 };
// New wording for 1308 on another zai key: matches no template, no reset time in it.
const DRIFT = { atMs: NOW - 20 * MIN, count: 6, message: 'Quota for the current 5-hour window has been used up' };

let store: TestStore;
let app: TestApp;
let records: CallRecord[];
let keys: SeedKey[];

const errorEnvelope = (key: SeedKey, ts: number, status: number, body: unknown, n: number) =>
  keyCall(key, ts, { status, body, requestId: `req-ins-${key.index}-${n}`, latencyMs: 50 });

/** `perMinute` errors per key per minute in [startMs, endMs). */
function burst(
  ks: SeedKey[],
  e: { startMs: number; endMs: number; perMinute: number },
  make: (k: SeedKey, ts: number, n: number) => Envelope,
) {
  const out: Envelope[] = [];
  let n = 0;
  for (let m = Math.ceil(e.startMs / MIN) * MIN; m < e.endMs; m += MIN) {
    for (const k of ks)
      for (let i = 0; i < e.perMinute; i++) out.push(make(k, m + 2_000 + i * 9_000 + k.index * 101, n++));
  }
  return out;
}

beforeAll(async () => {
  store = await openTestStore('insights_it');
  const base = generateEnvelopes({
    startMs: START,
    endMs: NOW,
    keys: 12,
    walls: [
      { key: 2, code: '1308', startMs: WALL_START, perMinute: WALL_PER_MIN, resetMs: WALL_RESET },
      { key: 4, code: '1113', startMs: ARREARS_START, perMinute: ARREARS_PER_MIN, resetMs: null },
    ],
  });
  keys = base.keys;
  const zhipu = keys.filter((k) => k.provider === 'zhipu');
  const extra = [
    ...burst(zhipu, INCIDENT, (k, ts, n) =>
      errorEnvelope(k, ts, 429, { error: { code: '1305', message: 'The API has triggered a rate limit.' } }, n),
    ),
    ...burst([keys[3]!], LONE, (k, ts, n) =>
      errorEnvelope(k, ts, 529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, n),
    ),
    ...Array.from({ length: DRIFT.count }, (_, i) =>
      errorEnvelope(keys[8]!, DRIFT.atMs + i * 1000, 429, { error: { code: '1308', message: DRIFT.message } }, 900 + i),
    ),
  ];
  const all = byTime([...base.envelopes, ...extra]);
  records = await ingestEnvelopes(store.client, store.database, all);
  app = await testApp({
    client: store.client,
    database: store.database,
    tokens: [TOKEN],
    rateLimitPerMinute: 100_000,
    taxonomy: TAXONOMY,
    now: () => NOW,
  });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
});

async function get(url: string) {
  const res = await injectUnshed(app, { method: 'GET', url, headers: auth });
  return { status: res.statusCode, body: res.json() as { rows: Record<string, unknown>[]; message?: string } };
}

describe('GET /api/v1/retry-waste', () => {
  test('a key hammering a 1308 wall: every call after the first until the reset is waste', async () => {
    const k2 = keys[2]!;
    const wall = records.filter((r) => r.key_fp === k2.fp && r.code === '1308');
    // Planted: WALL_PER_MIN calls in each whole minute from WALL_START to NOW, plus the partial minute.
    const minutes = Math.floor((NOW - Math.ceil(WALL_START / MIN) * MIN) / MIN);
    expect(wall.length).toBeGreaterThanOrEqual(minutes * WALL_PER_MIN);
    const { status, body } = await get(`/api/v1/retry-waste?from=${NOW - 2 * HOUR}&to=${NOW}&by=key`);
    expect(status).toBe(200);
    const row = body.rows.find((r) => r.key === k2.fp)!;
    expect(row).toMatchObject({
      keys: 1,
      wall_calls: wall.length - 1,
      repeat_calls: 0,
      wasted_calls: wall.length - 1,
      wasted_ms: wall.slice(1).reduce((s, r) => s + (r.latency_ms ?? 0), 0),
      first_seen: wall[1]!.ts,
      last_seen: wall.at(-1)!.ts,
      provider: k2.provider,
      code: '1308',
      category: 'quota',
      reset_at: WALL_RESET,
      reset_at_iso: new Date(WALL_RESET).toISOString(),
    });
    expect(row.advice).toContain(`stop calling until ${new Date(WALL_RESET).toISOString()}`);
  });

  test('arrears without a reset time: repeats of 1113 within the window, advice to recharge', async () => {
    const k4 = keys[4]!;
    const arrears = records.filter((r) => r.key_fp === k4.fp && r.code === '1113');
    expect(arrears.length).toBeGreaterThan(20);
    const { body } = await get(`/api/v1/retry-waste?from=${NOW - 2 * HOUR}&to=${NOW}`);
    const row = body.rows.find((r) => r.key === k4.fp)!;
    expect(row).toMatchObject({
      wall_calls: 0,
      repeat_calls: arrears.length - 1,
      code: '1113',
      reset_at: null,
      reset_at_iso: null,
    });
    expect(row.advice).toMatch(/^stop retrying 1113: recharge/);
  });

  test('keys that keep succeeding waste nothing; rows come most wasteful first', async () => {
    const { body } = await get(`/api/v1/retry-waste?from=${NOW - 2 * HOUR}&to=${NOW}`);
    expect(body.rows.map((r) => r.key)).toEqual([keys[2]!.fp, keys[4]!.fp]);
  });

  test('by tenant sums the keys of each tenant', async () => {
    const { body } = await get(`/api/v1/retry-waste?from=${NOW - 2 * HOUR}&to=${NOW}&by=tenant`);
    const count = (fp: string, code: string) => records.filter((r) => r.key_fp === fp && r.code === code).length - 1;
    expect(body.rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tenant: keys[2]!.tenant, wasted_calls: count(keys[2]!.fp, '1308') }),
        expect.objectContaining({ tenant: keys[4]!.tenant, wasted_calls: count(keys[4]!.fp, '1113') }),
      ]),
    );
    expect(body.rows[0]).not.toHaveProperty('key');
  });

  test('a shorter repeat window than the gap between arrears calls finds no repeats', async () => {
    // The 1113s come ARREARS_PER_MIN a minute: 60/ARREARS_PER_MIN s apart (spread over the minute).
    const { body } = await get(`/api/v1/retry-waste?from=${NOW - 2 * HOUR}&to=${NOW}&window=10s`);
    expect(body.rows.map((r) => r.key)).toEqual([keys[2]!.fp]);
  });

  test('bad input is a 400 that says what to change', async () => {
    const bad = await get('/api/v1/retry-waste?categories=quota,nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("unknown error category 'nonsense'");
    expect((await get('/api/v1/retry-waste?window=3d')).status).toBe(400);
    expect((await get('/api/v1/retry-waste?by=region')).status).toBe(400);
    expect((await get(`/api/v1/retry-waste?from=${NOW}&to=${NOW - HOUR}`)).status).toBe(400);
  });

  test('the insight routes are in the OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(Object.keys(res.json().paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/retry-waste',
        '/api/v1/incidents',
        '/api/v1/drift',
        '/api/v1/quota-walls/calendar',
        '/api/v1/quota-walls/timeline',
      ]),
    );
  });
});

describe('GET /api/v1/incidents', () => {
  /** The whole minutes a planted burst covers: [first, last + 1m). */
  const span = (e: { startMs: number; endMs: number }) => ({
    start: Math.ceil(e.startMs / MIN) * MIN,
    end: Math.ceil(e.endMs / MIN) * MIN,
  });
  const within = (r: CallRecord, s: { start: number; end: number }) => r.ts >= s.start && r.ts < s.end;
  const url = `/api/v1/incidents?from=${NOW - 2 * HOUR}&to=${NOW}`;

  test('1305 on every zhipu key of two tenants at once: provider-wide, with its share of the traffic', async () => {
    const s = span(INCIDENT);
    const zhipu = keys.filter((k) => k.provider === 'zhipu');
    const hits = records.filter((r) => r.code === '1305' && r.provider === 'zhipu');
    expect(hits.length).toBe(((s.end - s.start) / MIN) * zhipu.length * INCIDENT.perMinute);
    const providerCalls = records.filter((r) => r.provider === 'zhipu' && within(r, s)).length;
    const { status, body } = await get(url);
    expect(status).toBe(200);
    const row = body.rows.find((r) => r.provider === 'zhipu' && r.code === '1305');
    expect(row).toMatchObject({
      category: 'rate_limit',
      start: s.start,
      end: s.end,
      ongoing: 0,
      errors: hits.length,
      peak_per_minute: zhipu.length * INCIDENT.perMinute,
      keys: zhipu.length,
      tenants: new Set(zhipu.map((k) => k.tenant)).size,
      provider_calls: providerCalls,
      verdict: 'provider-wide',
      provider_wide: 1,
    });
    expect(row?.share).toBeCloseTo(hits.length / providerCalls, 5);
    expect(row?.evidence).toContain(`${zhipu.length} keys of 2 tenants at once`);
    expect(row?.text).toBe(`zhipu 1305: provider-wide, ${hits.length} errors on ${zhipu.length} keys`);
  });

  test('overload on one key: account-scoped, with the evidence', async () => {
    const s = span(LONE);
    const hits = records.filter((r) => r.provider === 'anthropic' && r.code === 'overloaded_error' && within(r, s));
    const { body } = await get(url);
    const row = body.rows.find((r) => r.provider === 'anthropic' && r.code === 'overloaded_error');
    expect(row).toMatchObject({
      category: 'overload',
      start: s.start,
      end: s.end,
      errors: hits.length,
      keys: new Set(hits.map((r) => r.key_fp)).size,
      verdict: 'account-scoped',
      provider_wide: 0,
    });
    expect(row?.evidence).toMatch(/^only \d key/);
  });

  test('a key at its quota wall is an ongoing, account-scoped episode whatever the spread', async () => {
    const { body } = await get(url);
    const row = body.rows.find((r) => r.provider === keys[2]!.provider && r.code === '1308');
    expect(row).toMatchObject({ ongoing: 1, verdict: 'account-scoped', category: 'quota' });
    expect(row?.start).toBe(Math.ceil(WALL_START / MIN) * MIN);
    expect(row?.evidence).toContain('quota errors are about the account');
  });

  test('filters and thresholds: verdict, ongoing, by=provider, min_keys', async () => {
    const wide = await get(`${url}&verdict=provider-wide`);
    expect(wide.body.rows.map((r) => `${r.provider}/${r.code}`)).toEqual(['zhipu/1305']);
    const ongoing = await get(`${url}&ongoing=true`);
    expect(ongoing.body.rows.every((r) => r.ongoing === 1)).toBe(true);
    expect(ongoing.body.rows.map((r) => r.code)).toContain('1308');
    const byProvider = await get(`${url}&by=provider&codes=1305,1312,529&categories=overload`);
    expect(byProvider.body.rows.map((r) => [r.provider, r.code, r.verdict])).toEqual([
      ['anthropic', '*', 'account-scoped'],
      ['zhipu', '*', 'provider-wide'],
    ]);
    // Grafana's "All" means no category filter: the defaults, the same answer.
    const all = await get(`${url}&categories=*`);
    expect(all.body.rows).toEqual((await get(url)).body.rows);
    const zhipuKeys = keys.filter((k) => k.provider === 'zhipu').length;
    const strict = await get(`${url}&min_keys=${zhipuKeys + 1}`);
    expect(strict.body.rows.find((r) => r.code === '1305')?.verdict).toBe('account-scoped');
  });

  test('bad input is a 400', async () => {
    expect((await get('/api/v1/incidents?categories=bogus')).status).toBe(400);
    expect((await get('/api/v1/incidents?gap=1d')).status).toBe(400);
    expect((await get('/api/v1/incidents?min_share=2')).status).toBe(400);
    expect((await get('/api/v1/incidents?verdict=maybe')).status).toBe(400);
  });
});

describe('GET /api/v1/drift', () => {
  const url = `/api/v1/drift?from=${NOW - 2 * HOUR}&to=${NOW}`;

  test('a reworded 1308 without a reset time: counted per code, with first/last seen and a sample', async () => {
    const zai = keys[8]!.provider;
    const all1308 = records.filter((r) => r.provider === zai && r.code === '1308');
    const drifted = all1308.filter((r) => r.message === DRIFT.message);
    expect(drifted).toHaveLength(DRIFT.count);
    const { status, body } = await get(url);
    expect(status).toBe(200);
    const row = body.rows.find((r) => r.provider === zai && r.code === '1308');
    expect(row).toMatchObject({
      category: 'quota',
      calls: all1308.length,
      unmatched: DRIFT.count,
      wordings: 1,
      reset_expected: 1,
      no_reset: all1308.filter((r) => r.reset_at === null).length,
      first_seen: DRIFT.atMs,
      last_seen: DRIFT.atMs + (DRIFT.count - 1) * 1000,
      sample: DRIFT.message,
    });
    expect(row?.no_reset).toBe(DRIFT.count);
    expect(row?.unmatched_share).toBeCloseTo(DRIFT.count / all1308.length, 5);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the taxonomy's placeholder.
    expect(row?.template).toContain('Usage limit reached for ${period}');
  });

  test('documented wordings (English, Chinese variants, bracketed) do not drift; only_drifting leaves them out', async () => {
    const { body } = await get(url);
    const codes = (p: string) => body.rows.filter((r) => r.provider === p).map((r) => r.code);
    // 1305 (the incident), 1113 (Chinese variant wording), 1302 (its title) are all documented.
    expect(codes('zhipu')).toEqual(expect.arrayContaining(['1305', '1113', '1302']));
    for (const r of body.rows)
      if (!(r.code === '1308' && r.provider === keys[8]!.provider)) expect(r.unmatched).toBe(0);
    const only = await get(`${url}&only_drifting=true`);
    expect(only.body.rows.map((r) => `${r.provider}/${r.code}`)).toEqual([`${keys[8]!.provider}/1308`]);
    const none = await get(`${url}&min_unmatched=${DRIFT.count + 1}`);
    expect(none.body.rows).toEqual([]);
  });

  test('bad input is a 400', async () => {
    expect((await get('/api/v1/drift?from=now&to=now-1h')).status).toBe(400);
    expect((await get('/api/v1/drift?min_unmatched=-1')).status).toBe(400);
  });
});

describe('GET /api/v1/quota-walls/calendar', () => {
  test('who is blocked, from when, until when: soonest reset first, unknown resets last', async () => {
    const { status, body } = await get('/api/v1/quota-walls/calendar');
    expect(status).toBe(200);
    const wall = records.filter((r) => r.key_fp === keys[2]!.fp && r.code === '1308');
    const arrears = records.filter((r) => r.key_fp === keys[4]!.fp && r.code === '1113');
    expect(body.rows).toEqual([
      expect.objectContaining({
        key: keys[2]!.fp,
        tenant: keys[2]!.tenant,
        provider: keys[2]!.provider,
        model: keys[2]!.model,
        code: '1308',
        since: wall[0]!.ts,
        until: WALL_RESET,
        until_iso: new Date(WALL_RESET).toISOString(),
        reset_at_epoch: String(WALL_RESET / 1000),
        blocked_ms: WALL_RESET - wall[0]!.ts,
        remaining_ms: WALL_RESET - NOW,
        calls: wall.length,
        blocked: 1,
        action: `pause the key until ${new Date(WALL_RESET).toISOString()}, then resume`,
      }),
      expect.objectContaining({
        key: keys[4]!.fp,
        code: '1113',
        since: arrears[0]!.ts,
        until: null,
        until_iso: '',
        reset_at_epoch: '',
        calls: arrears.length,
      }),
    ]);
  });

  test('filters and bad input', async () => {
    const one = await get(`/api/v1/quota-walls/calendar?key=${keys[4]!.fp}`);
    expect(one.body.rows.map((r) => r.key)).toEqual([keys[4]!.fp]);
    expect((await get('/api/v1/quota-walls/calendar?lookback=30d')).status).toBe(400);
    expect((await get('/api/v1/quota-walls/calendar?codes=,')).status).toBe(400);
  });
});

describe('GET /api/v1/quota-walls/timeline', () => {
  test('per key and minute, 1 from the wall start on (until the reset or now), 0 before', async () => {
    const from = NOW - 2 * HOUR;
    const { status, body } = await get(`/api/v1/quota-walls/timeline?from=${from}&to=${NOW}&step=30s`);
    expect(status).toBe(200);
    expect((body as unknown as { step_ms: number }).step_ms).toBe(MIN);
    const first = Math.floor(from / MIN) * MIN;
    const buckets = Array.from({ length: Math.ceil((NOW - first) / MIN) }, (_, i) => first + i * MIN);
    for (const [k, code] of [
      [keys[2]!, '1308'],
      [keys[4]!, '1113'],
    ] as const) {
      const since = records.find((r) => r.key_fp === k.fp && r.code === code)!.ts;
      const rows = body.rows.filter((r) => r.key === k.fp);
      expect(rows.map((r) => r.time)).toEqual(buckets);
      expect(rows.map((r) => r.blocked)).toEqual(buckets.map((b) => (b + MIN > since ? 1 : 0)));
    }
    // Long format in time order: the emulated Grafana turns it wide, one series per key.
    const times = body.rows.map((r) => Number(r.time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  test('a long range widens the step to stay under the point limit', async () => {
    const { body } = await get(`/api/v1/quota-walls/timeline?from=now-13d&to=now`);
    const step = (body as unknown as { step_ms: number }).step_ms;
    expect((13 * 24 * HOUR) / step).toBeLessThanOrEqual(11_000);
    expect(step % MIN).toBe(0);
  });
});

describe('start --demo shows all four', () => {
  // The demo generator as `start --demo` runs it (rate 2/s, seed 11), over 3 hours instead of 24: the
  // planted episodes sit at the end either way (relative to the walls, 90 minutes before the end).
  const DEMO_DB = 'insights_demo';
  const end = NOW;
  const traffic = { startMs: end - 3 * HOUR, endMs: end, ratePerSec: 2, seed: 11, surgeKeys: 2 };
  let demo: TestApp;
  let plan: ReturnType<typeof planTraffic>;
  let demoRecords: CallRecord[];

  beforeAll(async () => {
    await migrate(store.client, { CLICKHOUSE_DATABASE: DEMO_DB, RAW_TTL_DAYS: undefined });
    plan = planTraffic(traffic);
    demoRecords = await ingestEnvelopes(store.client, DEMO_DB, [...generateTraffic(traffic, plan)]);
    demo = await testApp({
      client: store.client,
      database: DEMO_DB,
      tokens: [TOKEN],
      rateLimitPerMinute: 100_000,
      taxonomy: TAXONOMY,
      now: () => end,
    });
  }, 300_000);

  afterAll(async () => {
    await demo?.close();
  });

  async function demoGet(url: string) {
    const res = await injectUnshed(demo, { method: 'GET', url, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { rows: Record<string, unknown>[] };
  }

  test('the client ignoring its wall tops the retry waste, until its planted reset', async () => {
    const fp = fingerprintKey(plan.retryWaste.key);
    const wall = demoRecords.filter((r) => r.key_fp === fp && r.code === '1308');
    const { rows } = await demoGet(`/api/v1/retry-waste?from=${traffic.startMs}&to=${end}`);
    expect(rows[0]).toMatchObject({ key: fp, code: '1308', reset_at: plan.retryWaste.resetMs });
    // Every error after the minute the client hit the wall (it still had successes in that minute) is
    // waste; at most every 1308 of the key but the first (it may have met a background 1308 earlier).
    const afterStartMinute = Math.floor(plan.retryWaste.startMs / MIN) * MIN + MIN;
    expect(rows[0]!.wall_calls).toBeGreaterThanOrEqual(wall.filter((r) => r.ts >= afterStartMinute).length);
    expect(rows[0]!.wall_calls).toBeLessThanOrEqual(wall.length - 1);
  });

  test('the planted overload episode is a provider-wide incident', async () => {
    const { rows } = await demoGet(`/api/v1/incidents?from=${traffic.startMs}&to=${end}&verdict=provider-wide`);
    const hit = rows.filter(
      (r) =>
        ['zhipu', 'zai'].includes(String(r.provider)) &&
        Number(r.start) >= plan.incident.startMs - MIN &&
        Number(r.start) <= plan.incident.startMs + 5 * MIN,
    );
    expect(hit.length).toBeGreaterThan(0);
  });

  test('the reworded 1308s are drift, without a reset time', async () => {
    const reworded = demoRecords.filter((r) => r.message.startsWith('Quota for the current 5-hour window'));
    expect(reworded.length).toBeGreaterThan(0);
    const { rows } = await demoGet(`/api/v1/drift?from=${traffic.startMs}&to=${end}&only_drifting=true`);
    const unmatched = rows.filter((r) => r.code === '1308').reduce((s, r) => s + Number(r.unmatched), 0);
    expect(unmatched).toBe(reworded.length);
  });

  test('the calendar lists the walled keys with their planted reset times', async () => {
    const { rows } = await demoGet('/api/v1/quota-walls/calendar');
    const until = (raw: string) => rows.find((r) => r.key === fingerprintKey(raw))?.until;
    expect(until(plan.wallKey)).toBe(plan.wallResetMs);
    expect(until(plan.retryWaste.key)).toBe(plan.retryWaste.resetMs);
  });
});
