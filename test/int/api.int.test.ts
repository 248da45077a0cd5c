// The query API through app.inject() against the real embedded ClickHouse, seeded through the real
// pipeline (envelopes -> classifyBatch -> insertCalls). Expected answers are computed from the stored
// records in plain JS, never hard-coded.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactQuantile, RELATIVE_ERROR } from '../../services/core/latency-histogram.js';
import { TAXONOMY } from '../../services/core/taxonomy.js';
import type { CallRecord } from '../../services/core/types.js';
import { injectUnshed, type TestApp, testApp } from '../helpers/app.js';
import { LATENCY_QUANTILES, sortedLatencies } from '../helpers/latency.js';
import { openTestStore, type SeedKey, seed, type TestStore } from '../helpers/seed.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

// Pinned clock: 30 s into the current minute, so the partial minute is exercised.
const NOW = Math.floor(Date.now() / MIN) * MIN + 30_000;
const secs = (ms: number) => Math.floor(ms / 1000) * 1000;
const SURGE_RESET = secs(NOW + 5 * 24 * HOUR);
const WALL_RESET = secs(NOW + 3 * HOUR);

let store: TestStore;
let app: TestApp;
let records: CallRecord[];
let keys: SeedKey[];

beforeAll(async () => {
  store = await openTestStore('api_it');
  const seeded = await seed(store, {
    startMs: NOW - 26 * HOUR,
    endMs: NOW,
    keys: 10,
    surge: { keys: [0, 2], startMs: NOW - 10 * MIN, perMinute: 3, resetMs: SURGE_RESET },
    walls: [
      { key: 4, code: '1308', startMs: NOW - 90 * MIN, resetMs: WALL_RESET },
      { key: 6, code: '1113', startMs: NOW - 40 * MIN, resetMs: null },
      // Blocked all along (no surge: steady rate), and the message's reset time has passed (no wall).
      { key: 8, code: '1310', startMs: NOW - 26 * HOUR, resetMs: secs(NOW - HOUR) },
    ],
    unknown: [{ code: '1399', atMs: NOW - 2 * HOUR, count: 3 }],
  });
  records = seeded.records;
  keys = seeded.keys;
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

async function get(url: string, headers: Record<string, string> = auth) {
  const res = await injectUnshed(app, { method: 'GET', url, headers });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> & { rows: Record<string, unknown>[] } };
}

const isError = (r: CallRecord) => r.category !== 'ok';
const inRange = (r: CallRecord, from: number, to: number) => r.ts >= from && r.ts < to;

describe('probes, auth, docs', () => {
  test('health and readiness are public; ready checks ClickHouse', async () => {
    expect(await get('/health', {})).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get('/ready', {})).toEqual({ status: 200, body: { status: 'ready' } });
  });

  test('data routes need the bearer token', async () => {
    expect((await get('/api/v1/series', {})).status).toBe(401);
    expect((await get('/api/v1/series', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get('/api/v1/series', { authorization: TOKEN })).status).toBe(401);
    expect((await get('/api/v1/series')).status).toBe(200);
  });

  test('the OpenAPI document lists every route with its parameters; docs page and metrics are served', async () => {
    const doc = await get('/openapi.json', {});
    expect(doc.status).toBe(200);
    const paths = doc.body.paths as Record<string, { get: { parameters?: { name: string }[] } }>;
    for (const p of [
      'series',
      'top',
      'surges',
      'quota-walls',
      'samples',
      'taxonomy',
      'unknown-codes',
      'values/{dimension}',
    ]) {
      expect(paths).toHaveProperty(`/api/v1/${p}`);
    }
    const names = paths['/api/v1/series']!.get.parameters!.map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['from', 'to', 'step', 'group_by', 'provider', 'key', 'http_status']));
    const docs = await app.inject({ url: '/docs' });
    expect([200, 302]).toContain(docs.statusCode);
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('errorscope_api_request_duration_seconds');
  });
});

describe('series', () => {
  test('one series at 5m steps over 2h: every bucket, counts equal the stored calls', async () => {
    const { status, body } = await get(`/api/v1/series?from=now-2h&to=${NOW}&step=5m`);
    expect(status).toBe(200);
    expect(body.resolution).toBe('1m');
    expect(body.step_ms).toBe(5 * MIN);
    const start = Math.floor((NOW - 2 * HOUR) / (5 * MIN)) * 5 * MIN;
    const expectedBuckets = Math.ceil((NOW - start) / (5 * MIN));
    expect(body.rows).toHaveLength(expectedBuckets);
    for (const row of body.rows) {
      const t = row.time as number;
      const inBucket = records.filter((r) => inRange(r, t, t + 5 * MIN));
      const errors = inBucket.filter(isError).length;
      expect(row).toEqual({
        time: t,
        calls: inBucket.length,
        errors,
        error_rate: inBucket.length ? errors / inBucket.length : 0,
      });
    }
  });

  test('grouped by category over 24h: hourly, long format, zero-filled per label set', async () => {
    const from = NOW - 24 * HOUR;
    const { body } = await get(`/api/v1/series?from=${from}&to=${NOW}&group_by=category`);
    expect(body.resolution).toBe('1h');
    const start = Math.floor(from / HOUR) * HOUR;
    const categories = [...new Set(records.filter((r) => inRange(r, start, NOW)).map((r) => r.category))].sort();
    const seen = [...new Set(body.rows.map((r) => r.category as string))].sort();
    expect(seen).toEqual(categories);
    const buckets = Math.ceil((NOW - start) / HOUR);
    expect(body.rows).toHaveLength(buckets * categories.length);
    for (const c of categories) {
      const rows = body.rows.filter((r) => r.category === c);
      expect(rows).toHaveLength(buckets);
      const total = rows.reduce((s, r) => s + (r.errors as number), 0);
      expect(total).toBe(records.filter((r) => r.category === c && isError(r) && inRange(r, start, NOW)).length);
    }
    // Unique label sets per time.
    const ids = body.rows.map((r) => `${r.time}|${r.category}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('max_series keeps the label sets with the most errors, then calls', async () => {
    const { body } = await get('/api/v1/series?from=now-3h&group_by=key&max_series=3');
    const start = Math.floor((NOW - 3 * HOUR) / MIN) * MIN;
    const totals = new Map<string, { errors: number; calls: number }>();
    for (const r of records.filter((x) => inRange(x, start, NOW))) {
      const t = totals.get(r.key_fp) ?? { errors: 0, calls: 0 };
      t.calls++;
      if (isError(r)) t.errors++;
      totals.set(r.key_fp, t);
    }
    const top = [...totals.entries()]
      .sort((a, b) => b[1].errors - a[1].errors || b[1].calls - a[1].calls || (a[0] < b[0] ? -1 : 1))
      .slice(0, 3)
      .map(([k]) => k);
    expect([...new Set(body.rows.map((r) => r.key as string))].sort()).toEqual(top.sort());
    for (const k of top) {
      const sum = body.rows.filter((r) => r.key === k).reduce((s, r) => s + (r.calls as number), 0);
      expect(sum).toBe(totals.get(k)!.calls);
    }
  });

  test('max_series by category (ranked in JavaScript): the top label sets, each bucket in rank order', async () => {
    const { body } = await get('/api/v1/series?from=now-3h&group_by=category&max_series=2');
    const start = Math.floor((NOW - 3 * HOUR) / MIN) * MIN;
    const totals = new Map<string, { errors: number; calls: number }>();
    for (const r of records.filter((x) => inRange(x, start, NOW))) {
      const t = totals.get(r.category) ?? { errors: 0, calls: 0 };
      t.calls++;
      if (isError(r)) t.errors++;
      totals.set(r.category, t);
    }
    const top = [...totals.entries()]
      .sort((a, b) => b[1].errors - a[1].errors || b[1].calls - a[1].calls || (a[0] < b[0] ? -1 : 1))
      .slice(0, 2)
      .map(([c]) => c);
    expect(top).toHaveLength(2);
    // Both label sets get every bucket (zero-filled), and within each bucket the first is the top one.
    const buckets = new Set(body.rows.map((r) => r.time));
    expect(body.rows.map((r) => r.category)).toEqual([...buckets].flatMap(() => top));
    for (const c of top) {
      const sum = body.rows.filter((r) => r.category === c).reduce((s, r) => s + (r.calls as number), 0);
      expect(sum).toBe(totals.get(c)!.calls);
    }
  });

  test('filters narrow the series (comma lists, All means no filter)', async () => {
    const k = keys[4]!;
    const { body } = await get(`/api/v1/series?from=now-1h&key=${k.fp},fp_nobody&code=1308`);
    const total = body.rows.reduce((s, r) => s + (r.calls as number), 0);
    const start = Math.floor((NOW - HOUR) / MIN) * MIN;
    expect(total).toBe(records.filter((r) => r.key_fp === k.fp && r.code === '1308' && inRange(r, start, NOW)).length);
    expect(total).toBeGreaterThan(0);
    const all = await get('/api/v1/series?from=now-1h&provider=$__all&model=All');
    const plain = await get('/api/v1/series?from=now-1h');
    expect(all.body.rows).toEqual(plain.body.rows);
  });
});

describe('top', () => {
  test('errors by code over 6h, most errors first', async () => {
    const { body } = await get('/api/v1/top?by=code&from=now-6h&limit=50');
    const start = Math.floor((NOW - 6 * HOUR) / MIN) * MIN;
    const expected = new Map<string, { calls: number; errors: number }>();
    for (const r of records.filter((x) => inRange(x, start, NOW))) {
      const e = expected.get(r.code) ?? { calls: 0, errors: 0 };
      e.calls++;
      if (isError(r)) e.errors++;
      expected.set(r.code, e);
    }
    expect(body.rows).toHaveLength(expected.size);
    const total = records.filter((x) => inRange(x, start, NOW)).length;
    expect(body.total_calls).toBe(total);
    for (const row of body.rows) {
      const e = expected.get(row.code as string)!;
      expect(row).toEqual({
        code: row.code,
        calls: e.calls,
        errors: e.errors,
        error_rate: e.errors / e.calls,
        error_share: e.errors / total,
      });
    }
    const errs = body.rows.map((r) => r.errors as number);
    expect(errs).toEqual([...errs].sort((a, b) => b - a));
  });

  test('total_calls counts every group, not only the rows under the limit', async () => {
    const { body } = await get('/api/v1/top?by=code&from=now-6h&limit=2');
    const start = Math.floor((NOW - 6 * HOUR) / MIN) * MIN;
    expect(body.rows).toHaveLength(2);
    expect(body.total_calls).toBe(records.filter((x) => inRange(x, start, NOW)).length);
  });
});

describe('latency', () => {
  test('top by provider with latency: merged histogram quantiles within 5% of the exact ones', async () => {
    const { body } = await get('/api/v1/top?by=provider&from=now-6h&latency=true');
    const start = Math.floor((NOW - 6 * HOUR) / MIN) * MIN;
    expect(body.rows.length).toBeGreaterThan(0);
    for (const row of body.rows) {
      const xs = sortedLatencies(records, (r) => r.provider === row.provider && inRange(r, start, NOW));
      for (const [col, q] of LATENCY_QUANTILES) {
        const exact = exactQuantile(xs, q) as number;
        // RELATIVE_ERROR, plus the 0.1 ms rounding of the answer.
        expect(Math.abs((row[col] as number) - exact)).toBeLessThanOrEqual(RELATIVE_ERROR * exact + 0.05);
      }
      expect(row.latency_p50 as number).toBeLessThanOrEqual(row.latency_p90 as number);
      expect(row.latency_p90 as number).toBeLessThanOrEqual(row.latency_p99 as number);
    }
  });

  test('series with latency: null quantiles where a bucket has no calls', async () => {
    const k = keys[6]!; // behind a wall since NOW-40m: no calls of code 200 after that
    const { status, body } = await get(`/api/v1/series?from=now-1h&key=${k.fp}&code=200&latency=true&step=5m`);
    expect(status, JSON.stringify(body)).toBe(200);
    for (const row of body.rows) {
      if (row.calls === 0) expect(row.latency_p50).toBeNull();
      else expect(typeof row.latency_p50).toBe('number');
    }
    expect(body.rows.some((r) => r.calls === 0)).toBe(true);
    expect(body.rows.some((r) => (r.calls as number) > 0)).toBe(true);
  });
});

describe('surges', () => {
  test('1310 by key: the surge keys surge, the long-blocked key does not', async () => {
    const { status, body } = await get('/api/v1/surges?codes=1310&by=key&window=15m&baseline=24h&min_count=5&ratio=3');
    expect(status).toBe(200);
    const rStart = Math.floor((NOW - 15 * MIN) / MIN) * MIN;
    const bStart = rStart - 24 * HOUR;
    expect(body.baseline_ms).toBe(24 * HOUR);
    const byKey = new Map(body.rows.map((r) => [r.key as string, r]));
    const withCount = keys.filter((k) =>
      records.some((r) => r.key_fp === k.fp && r.code === '1310' && inRange(r, rStart, NOW)),
    );
    expect([...byKey.keys()].sort()).toEqual(withCount.map((k) => k.fp).sort());
    for (const k of withCount) {
      const mine = records.filter((r) => r.key_fp === k.fp && r.code === '1310');
      const count = mine.filter((r) => inRange(r, rStart, NOW)).length;
      const baseline = mine.filter((r) => inRange(r, bStart, rStart)).length;
      const expected = (baseline / (24 * HOUR)) * 15 * MIN;
      const ratio = count / Math.max(expected, 1);
      const row = byKey.get(k.fp)!;
      expect(row.count).toBe(count);
      expect(row.baseline_count).toBe(baseline);
      expect(row.expected).toBeCloseTo(expected, 5);
      expect(row.ratio).toBeCloseTo(ratio, 5);
      expect(row.surging).toBe(count >= 5 && ratio >= 3 ? 1 : 0);
      expect(row.tenant).toBe(k.tenant);
    }
    expect(byKey.get(keys[0]!.fp)!.surging).toBe(1);
    expect(byKey.get(keys[2]!.fp)!.surging).toBe(1);
    expect(byKey.get(keys[8]!.fp)!.surging).toBe(0);
  });

  test('min_count keeps small counts from surging; categories match too', async () => {
    const high = await get('/api/v1/surges?codes=1310&min_count=100000');
    expect(high.body.rows.length).toBeGreaterThan(0);
    expect(high.body.rows.every((r) => r.surging === 0)).toBe(true);
    const byTenant = await get('/api/v1/surges?categories=quota&by=tenant&only_surging=true');
    const rStart = Math.floor((NOW - 15 * MIN) / MIN) * MIN;
    const quota = records.filter((r) => r.category === 'quota');
    const surgingTenants = [...new Set(keys.map((k) => k.tenant))].filter((t) => {
      const count = quota.filter((r) => r.tenant === t && inRange(r, rStart, NOW)).length;
      const baseline = quota.filter((r) => r.tenant === t && inRange(r, rStart - 24 * HOUR, rStart)).length;
      return count >= 5 && count / Math.max((baseline / (24 * HOUR)) * 15 * MIN, 1) >= 3;
    });
    expect(surgingTenants.length).toBeGreaterThan(0);
    expect(byTenant.body.rows.map((r) => r.tenant).sort()).toEqual(surgingTenants.sort());
    // By model: the tenants of the model's matching errors in the window, sorted.
    const byModel = await get('/api/v1/surges?codes=1310&by=model');
    for (const row of byModel.body.rows) {
      const tenants = new Set(
        records
          .filter((r) => r.code === '1310' && r.model === row.model && inRange(r, rStart, NOW))
          .map((r) => r.tenant),
      );
      expect(row.tenant).toBe([...tenants].sort().join(','));
    }
    expect(byModel.body.rows.length).toBeGreaterThan(0);
    for (const r of byTenant.body.rows) expect(r.surging).toBe(1);
  });
});

describe('quota walls', () => {
  test('blocked keys with code, since, count and reset time; recovered and expired ones are not listed', async () => {
    const { body } = await get('/api/v1/quota-walls?lookback=6h');
    const from = NOW - 6 * HOUR;
    const byKey = new Map(body.rows.map((r) => [r.key as string, r]));
    expect([...byKey.keys()].sort()).toEqual([keys[4]!.fp, keys[6]!.fp].sort());
    for (const [k, code, reset] of [
      [keys[4]!, '1308', WALL_RESET],
      [keys[6]!, '1113', null],
    ] as const) {
      const walls = records.filter((r) => r.key_fp === k.fp && r.code === code && r.ts >= from && r.ts <= NOW);
      const row = byKey.get(k.fp)!;
      expect(row.code).toBe(code);
      expect(row.since).toBe(Math.min(...walls.map((r) => r.ts)));
      expect(row.last_seen).toBe(Math.max(...walls.map((r) => r.ts)));
      expect(row.count).toBe(walls.length);
      expect(row.reset_at).toBe(reset);
      expect(row.tenant).toBe(k.tenant);
    }
  });

  test('filters by tenant, provider, model and code narrow the walls (they were a 500: the aliases shadowed the columns)', async () => {
    const k = keys[4]!;
    const wall = records.find((r) => r.key_fp === k.fp && r.code === '1308')!;
    for (const q of [`tenant=${k.tenant}`, `provider=${wall.provider}`, `model=${wall.model}`, 'code=1308']) {
      const res = await get(`/api/v1/quota-walls?lookback=6h&${q}`);
      expect(res.status, q).toBe(200);
      expect(
        res.body.rows.map((r) => r.key),
        q,
      ).toContain(k.fp);
    }
    // keys[6]'s wall is on 1113, so a 1308 filter leaves it out.
    const only1308 = await get('/api/v1/quota-walls?lookback=6h&code=1308');
    expect(only1308.body.rows.map((r) => r.key)).toEqual([k.fp]);
    const other = await get(`/api/v1/quota-walls?lookback=6h&tenant=no-such-tenant`);
    expect(other.status).toBe(200);
    expect(other.body.rows).toEqual([]);
  });
});

describe('samples, taxonomy, unknown codes, values', () => {
  test('samples are the newest errors with their message, reset time and request id', async () => {
    const { body } = await get('/api/v1/samples?from=now-1h&limit=7&code=1310');
    const expected = records
      .filter((r) => r.code === '1310' && inRange(r, NOW - HOUR, NOW))
      .sort((a, b) => b.ts - a.ts)
      .slice(0, 7);
    expect(body.rows.map((r) => r.request_id)).toEqual(expected.map((r) => r.request_id));
    expect(body.rows[0]).toMatchObject({
      time: expected[0]!.ts,
      key: expected[0]!.key_fp,
      reset_at: expected[0]!.reset_at,
      message: expected[0]!.message,
      http_status: 429,
    });
  });

  test('taxonomy is the catalog, filterable', async () => {
    const all = await get('/api/v1/taxonomy');
    expect(all.body.rows).toHaveLength(TAXONOMY.length);
    const zai = await get('/api/v1/taxonomy?provider=zai&category=quota');
    expect(zai.body.rows).toHaveLength(TAXONOMY.filter((t) => t.provider === 'zai' && t.category === 'quota').length);
    expect(zai.body.rows.length).toBeGreaterThan(0);
  });

  test('unknown codes list what the taxonomy does not know', async () => {
    const { body } = await get('/api/v1/unknown-codes');
    const unknown = records.filter((r) => !r.known);
    const codes = [...new Set(unknown.map((r) => `${r.provider}/${r.code}`))].sort();
    expect(body.rows.map((r) => `${r.provider}/${r.code}`).sort()).toEqual(codes);
    const row = body.rows.find((r) => r.code === '1399')!;
    expect(row.calls).toBe(unknown.filter((r) => r.code === '1399').length);
    expect(row.first_seen).toBe(Math.min(...unknown.filter((r) => r.code === '1399').map((r) => r.ts)));
    expect(row.sample_message).toContain('1399');
  });

  test('values of a dimension, narrowed by the other filters', async () => {
    const keysRes = await get('/api/v1/values/key');
    expect(keysRes.body.rows.map((r) => r.value)).toEqual([...new Set(records.map((r) => r.key_fp))].sort());
    const models = await get('/api/v1/values/model?provider=zhipu');
    expect(models.body.rows.map((r) => r.value)).toEqual(
      [...new Set(records.filter((r) => r.provider === 'zhipu').map((r) => r.model))].sort(),
    );
  });
});

describe('bad input is a 400 that says what to fix', () => {
  test.each([
    ['/api/v1/series?group_by=colour', /group_by: unknown dimension 'colour'/],
    ['/api/v1/top?by=nope', /by: unknown dimension 'nope'/],
    ['/api/v1/values/secret', /dimension: must be one of provider, model, key, tenant, category, code, http_status/],
    ['/api/v1/series?from=now&to=now-1h', /must be before/],
    ['/api/v1/series?from=now-401d', /over the limit of 400d/],
    ['/api/v1/series?from=yesterday', /from 'yesterday' is not a time/],
    ['/api/v1/series?step=fast', /step 'fast' is not a duration/],
    ['/api/v1/series?http_status=abc', /http_status: 'abc'/],
    ['/api/v1/samples?limit=0', /limit/],
    ['/api/v1/surges?window=5x', /window '5x'/],
    ['/api/v1/surges?by=colour', /by/],
    ['/api/v1/quota-walls?lookback=30d', /lookback '30d' is over the limit/],
    // Found by the fuzz step: a defaulted start before 1970 was a 500.
    ['/api/v1/top?to=6', /to '6' is outside 1970-01-02..2105/],
    // Numbers are finite and bounded (ajv alone lets coerced Infinity through its range checks).
    ['/api/v1/top?limit=Infinity', /limit: 'Infinity' is not a finite number; use an integer from 1 to 1000/],
    ['/api/v1/samples?limit=1e309', /limit: '1e309' is not a finite number/],
    ['/api/v1/series?max_series=1e309', /max_series: '1e309' is not a finite number/],
    ['/api/v1/surges?ratio=-Infinity', /ratio: '-Infinity' is not a finite number/],
    ['/api/v1/surges?z=1e400', /z: '1e400' is not a finite number/],
    ['/api/v1/surges?min_count=2.5', /min_count: must be integer/],
    ['/api/v1/quota-walls?limit=10001', /limit: must be <= 10000/],
    ['/api/v1/unknown-codes?limit=NaN', /limit: 'NaN' is not a finite number/],
  ])('%s', async (url, message) => {
    const { status, body } = await get(url);
    expect(status).toBe(400);
    expect(body.error).toBe('Bad Request');
    expect(body.message).toMatch(message);
  });
});

test('rate limit answers 429 past RATE_LIMIT_PER_MINUTE', async () => {
  const limited = await testApp({
    client: store.client,
    database: store.database,
    tokens: [TOKEN],
    rateLimitPerMinute: 3,
  });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await limited.inject({ url: '/api/v1/taxonomy', headers: auth })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    // Probes are never limited.
    expect((await limited.inject({ url: '/health' })).statusCode).toBe(200);
  } finally {
    await limited.close();
  }
});
