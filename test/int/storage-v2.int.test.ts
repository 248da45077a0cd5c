// Storage v2 against v1 on the same calls (test/helpers/seed.ts through classifyBatch): the v1 path
// (calls_in_v1 fanned out by views) and the v2 path (aggregated in JavaScript, errors_v2 + calls_1m_v2
// cascading to 1h and 1d) must store the same counts, exactly, at every resolution; v2's latency
// quantiles must be within the histogram's bound of the exact ones computed from the planted calls;
// and migration 0010 must carry a v1 store's rows over.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  addLatency,
  exactQuantile,
  type Histogram,
  histogramArrays,
  histogramQuantile,
  RELATIVE_ERROR,
} from '../../services/core/latency-histogram.js';
import type { CallRecord } from '../../services/core/types.js';
import { clickhouseInserter, clickhouseInserterV1 } from '../../services/store/calls.js';
import { isEmbeddedClient } from '../../services/store/clickhouse.js';
import { defaultMigrationsDir, migrate } from '../../services/store/migrate.js';
import { clickhouseQuerier, type Querier } from '../../services/store/querier.js';
import { querySeries, queryTop } from '../../services/store/rollups.js';
import { type ReadTables, TABLES } from '../../services/store/tables.js';
import { queryQuotaWalls, querySurgeCounts } from '../../services/store/walls.js';
import { LATENCY_QUANTILES, sortedLatencies } from '../helpers/latency.js';
import { generateEnvelopes, ingestEnvelopes, openTestStore, type TestStore } from '../helpers/seed.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Math.floor(Date.now() / MIN) * MIN + 30_000;

let store: TestStore;
let records: CallRecord[];

async function rows(query: string): Promise<Record<string, unknown>[]> {
  const rs = await store.client.query({
    query,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return rs.json();
}

const DIMS = 'bucket, provider, model, key_fp, tenant, category, code, http_status';
const rollupSql = (table: string) => `
  SELECT ${DIMS}, sum(calls) AS calls, sum(errors) AS errors, sum(prompt_tokens) AS pt,
         sum(completion_tokens) AS ct, sum(total_tokens) AS tt, sum(latency_sum) AS ls,
         sum(latency_count) AS lc, max(last_reset_at) AS reset
  FROM ${store.database}.${table} GROUP BY ${DIMS} ORDER BY ${DIMS}`;
const errorsSql = (table: string) => `
  SELECT request_id, ts, provider, model, key_fp, tenant, category, code, http_status, known, reset_at, message, latency_ms
  FROM ${store.database}.${table} ORDER BY ts, request_id`;
const unknownSql = (table: string) => `
  SELECT provider, code, min(first_seen) AS f, max(last_seen) AS l, sum(calls) AS n
  FROM ${store.database}.${table} GROUP BY provider, code ORDER BY provider, code`;

beforeAll(async () => {
  store = await openTestStore('storage_v2_it');
  const { envelopes } = generateEnvelopes({
    startMs: NOW - 26 * HOUR,
    endMs: NOW,
    keys: 8,
    surge: { keys: [0, 2], startMs: NOW - 20 * MIN, perMinute: 3, resetMs: NOW + 5 * 24 * HOUR },
    walls: [{ key: 4, code: '1308', startMs: NOW - 90 * MIN, resetMs: NOW + 3 * HOUR }],
    unknown: [{ code: '1399', atMs: NOW - 2 * HOUR, count: 3 }],
  });
  // The same calls through both paths, in blocks that straddle minutes, hours and days.
  records = await ingestEnvelopes(store.client, store.database, envelopes, 7_001, clickhouseInserterV1);
  await ingestEnvelopes(store.client, store.database, envelopes, 7_001, clickhouseInserter);
}, 300_000);

afterAll(async () => {
  await store?.close();
});

describe('v2 answers the same as v1', () => {
  test.each([
    ['calls_1m_v1', 'calls_1m_v2'],
    ['calls_1h_v1', 'calls_1h_v2'],
    ['calls_1d_v1', 'calls_1d_v2'],
  ])('%s and %s hold the same counts per bucket and dimension set', async (v1, v2) => {
    const a = await rows(rollupSql(v1));
    const b = await rows(rollupSql(v2));
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    // And both are the planted calls.
    expect(b.reduce((s, r) => s + Number(r.calls), 0)).toBe(records.length);
  });

  test('errors_v2 holds exactly the failed calls errors_v1 holds', async () => {
    const a = await rows(errorsSql('errors_v1'));
    expect(a.length).toBe(records.filter((r) => r.category !== 'ok').length);
    expect(await rows(errorsSql('errors_v2'))).toEqual(a);
  });

  test('unknown codes agree', async () => {
    const a = await rows(unknownSql('unknown_codes_v1'));
    expect(a.some((r) => r.code === '1399')).toBe(true);
    expect(await rows(unknownSql('unknown_codes_v2'))).toEqual(a);
  });

  test('latency quantiles (top by provider, 1h rollup) are within 5% of the exact ones, and equal the JS read-back', async () => {
    const start = NOW - 26 * HOUR;
    const top = await queryTop(clickhouseQuerier(store.client, { database: store.database }), {
      resolution: '1h',
      start: Math.floor(start / HOUR) * HOUR,
      to: NOW + HOUR,
      by: ['provider'],
      filters: [],
      limit: 100,
      latency: true,
    });
    expect(top.length).toBeGreaterThan(1);
    for (const row of top) {
      const xs = sortedLatencies(records, (r) => r.provider === row.provider);
      const h: Histogram = new Map();
      for (const x of xs) addLatency(h, x);
      const [b, c] = histogramArrays(h);
      for (const [col, q] of LATENCY_QUANTILES) {
        const exact = exactQuantile(xs, q) as number;
        const got = row[col] as number;
        expect(Math.abs(got - exact) / exact, `${row.provider} ${col}: ${got} vs exact ${exact}`).toBeLessThanOrEqual(
          RELATIVE_ERROR + 0.001,
        );
        expect(got).toBeCloseTo(histogramQuantile(b, c, q) as number, 1);
      }
    }
  });
});

describe("the store's queries answer the same over the v1 and the v2 tables", () => {
  // The same query functions, pointed at the v1 tables (v1 has no fleet rollups: the keyed ones
  // answer for them) and at the v2 ones (fleet rollups and, for surges and walls, whatever narrow
  // table the v2 queries read).
  const v2 = (): Querier => clickhouseQuerier(store.client, { database: store.database });
  const v1 = (): Querier => {
    const d = store.database;
    const tables: ReadTables = {
      errors: `${d}.errors_v1`,
      calls1m: `${d}.calls_1m_v1`,
      calls1h: `${d}.calls_1h_v1`,
      calls1d: `${d}.calls_1d_v1`,
      fleet1m: `${d}.calls_1m_v1`,
      fleet1h: `${d}.calls_1h_v1`,
      fleet1d: `${d}.calls_1d_v1`,
      unknownCodes: `${d}.unknown_codes_v1`,
    };
    return { ...v2(), tables };
  };
  const WALL_CODES = ['1113', '1304', '1308', '1309', '1310'];

  test('the embedded client is recognised, through a wrapper too (its reads send no per-query settings)', () => {
    expect(isEmbeddedClient(store.client)).toBe(true);
    expect(isEmbeddedClient(new Proxy(store.client, {}))).toBe(true);
  });

  test.each([
    ['key', 15 * MIN, 24 * HOUR],
    ['key', 15 * MIN, 6 * HOUR],
    ['tenant', 30 * MIN, 24 * HOUR],
    ['key', 15 * MIN, 3 * 24 * HOUR],
  ] as const)(
    'surges by %s (window %d ms, baseline %d ms): equal, and the counts are the planted ones',
    async (by, windowMs, baselineMs) => {
      const q = {
        by,
        to: NOW,
        windowMs,
        baselineMs,
        codes: ['1310'],
        categories: ['quota'],
        filters: [],
        now: NOW,
      };
      const a = await querySurgeCounts(v1(), q);
      const b = await querySurgeCounts(v2(), q);
      expect(b).toEqual(a);
      // Oracle: matching errors per group in the minutes of the window.
      const rStart = Math.floor((NOW - windowMs) / MIN) * MIN;
      const col = by === 'key' ? 'key_fp' : 'tenant';
      const expected = new Map<string, number>();
      for (const r of records) {
        if (r.ts < rStart || r.ts >= NOW || r.category === 'ok') continue;
        if (r.code !== '1310' && r.category !== 'quota') continue;
        expected.set(r[col], (expected.get(r[col]) ?? 0) + 1);
      }
      expect(expected.size).toBeGreaterThan(0);
      expect(new Map(b.rows.map((r) => [r.group, r.count]))).toEqual(expected);
    },
  );

  test.each(['key', 'tenant'] as const)('quota walls by %s: equal; the planted wall is listed by key', async (by) => {
    for (const lookback of [2 * HOUR, 6 * HOUR, 26 * HOUR]) {
      const q = { by, from: NOW - lookback, now: NOW, codes: WALL_CODES, filters: [], limit: 1000 };
      const a = await queryQuotaWalls(v1(), q);
      const b = await queryQuotaWalls(v2(), q);
      expect(b).toEqual(a);
      // By tenant the wall's tenant has other keys still succeeding: not walled.
      expect(b.some((w) => w.code === '1308')).toBe(by === 'key');
    }
  });

  test('series and top without latency: equal (v2 reads the fleet rollups)', async () => {
    const start = Math.floor((NOW - 26 * HOUR) / HOUR) * HOUR;
    for (const groupBy of [[], ['category'], ['provider', 'code'], ['key']] as const) {
      const q = {
        resolution: '1h' as const,
        stepMs: HOUR,
        start,
        to: NOW,
        groupBy: [...groupBy],
        filters: [],
        maxSeries: 100,
      };
      // Rows of one time bucket come in no set order (the route zero-fills by label set): compare sorted.
      const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();
      const a = await querySeries(v1(), q);
      expect(a.length).toBeGreaterThan(0);
      expect(sorted(await querySeries(v2(), q))).toEqual(sorted(a));
    }
    const t = {
      resolution: '1m' as const,
      start: NOW - 6 * HOUR,
      to: NOW,
      by: ['provider' as const, 'code' as const],
      filters: [],
      limit: 20,
    };
    const a = await queryTop(v1(), t);
    expect(a.length).toBeGreaterThan(0);
    expect(await queryTop(v2(), t)).toEqual(a);
  });
});

describe('fleet rollups (0011; 1m and 1h by month since 0012)', () => {
  const FLEET = 'bucket, provider, model, category, code, http_status';
  const fleetSql = (table: string) => `
    SELECT ${FLEET}, sum(calls) AS calls, sum(errors) AS errors, sum(total_tokens) AS tt,
           sum(latency_sum) AS ls, sum(latency_count) AS lc, sumMap(latency_hist) AS h, max(last_reset_at) AS reset
    FROM ${store.database}.${table} GROUP BY ${FLEET} ORDER BY ${FLEET}`;
  test.each([
    [TABLES.calls1m, TABLES.fleet1m],
    [TABLES.calls1h, TABLES.fleet1h],
    [TABLES.calls1d, TABLES.fleet1d],
  ])('%s summed over keys and tenants equals %s', async (keyed, fleet) => {
    const a = await rows(fleetSql(keyed));
    expect(a.length).toBeGreaterThan(0);
    expect(await rows(fleetSql(fleet))).toEqual(a);
  });
});

describe('migration 0010 carries a v1 store over', () => {
  test('counts of every v1 table land in v2; quantiles of carried rows are null', async () => {
    const v1Dir = mkdtempSync(join(tmpdir(), 'errorscope-mig-v1-'));
    const db = 'storage_v2_carry';
    try {
      for (const f of readdirSync(defaultMigrationsDir()).filter((f) => f < '0010')) {
        cpSync(join(defaultMigrationsDir(), f), join(v1Dir, f));
      }
      await migrate(store.client, { CLICKHOUSE_DATABASE: db, RAW_TTL_DAYS: undefined }, v1Dir);
      const { envelopes } = generateEnvelopes({
        startMs: NOW - 3 * HOUR,
        endMs: NOW,
        keys: 4,
        unknown: [{ code: '1398', atMs: NOW - HOUR, count: 2 }],
      });
      const carried = await ingestEnvelopes(store.client, db, envelopes, 5_000, clickhouseInserterV1);
      const res = await migrate(store.client, { CLICKHOUSE_DATABASE: db, RAW_TTL_DAYS: undefined });
      expect(res.applied).toContain('0010_storage_v2.sql');
      expect(res.applied).toContain('0011_fleet_rollups_v2.sql');
      expect(res.applied).toContain('0012_fleet_rollups_monthly.sql');
      const one = async (q: string) => Number((await rows(q))[0]?.n);
      // 0012 copies the v2 fleet rollups (re-derived from the carried rows by 0011) row for row.
      const FLEET = 'bucket, provider, model, category, code, http_status';
      const fleetRows = (table: string) =>
        rows(`SELECT ${FLEET}, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum,
                     latency_count, latency_hist, last_reset_at
              FROM ${db}.${table} FINAL ORDER BY ${FLEET}`);
      for (const [v2, v3] of [
        ['calls_fleet_1m_v2', TABLES.fleet1m],
        ['calls_fleet_1h_v2', TABLES.fleet1h],
      ] as const) {
        const a = await fleetRows(v2);
        expect(a.length).toBeGreaterThan(0);
        expect(await fleetRows(v3)).toEqual(a);
      }
      for (const r of ['1m', '1h', '1d']) {
        expect(await one(`SELECT sum(calls) AS n FROM ${db}.calls_${r}_v2`)).toBe(carried.length);
        expect(await one(`SELECT sum(errors) AS n FROM ${db}.calls_${r}_v2`)).toBe(
          carried.filter((c) => c.category !== 'ok').length,
        );
        expect(await one(`SELECT sum(latency_count) AS n FROM ${db}.calls_${r}_v2`)).toBe(
          carried.filter((c) => c.latency_ms !== null).length,
        );
      }
      expect(await one(`SELECT count() AS n FROM ${db}.errors_v2`)).toBe(
        carried.filter((c) => c.category !== 'ok').length,
      );
      expect(await one(`SELECT sum(calls) AS n FROM ${db}.unknown_codes_v2 WHERE code = '1398'`)).toBe(2);
      expect(await one(`SELECT sum(arraySum(latency_hist.2)) AS n FROM ${db}.calls_1m_v2`)).toBe(0);
      // New calls after the migration go through the v2 path and add up with the carried rows,
      // without the cascade counting the carried 1m rows a second time.
      const more = await ingestEnvelopes(store.client, db, envelopes.slice(0, 100), 5_000, clickhouseInserter);
      const fleet = { '1m': TABLES.fleet1m, '1h': TABLES.fleet1h, '1d': TABLES.fleet1d };
      for (const r of ['1m', '1h', '1d'] as const) {
        expect(await one(`SELECT sum(calls) AS n FROM ${db}.calls_${r}_v2`)).toBe(carried.length + more.length);
        expect(await one(`SELECT sum(calls) AS n FROM ${db}.${fleet[r]}`)).toBe(carried.length + more.length);
      }
      // The v2 fleet rollups of 1m and 1h stay readable and are no longer written (0012 dropped their views).
      for (const r of ['1m', '1h']) {
        expect(await one(`SELECT sum(calls) AS n FROM ${db}.calls_fleet_${r}_v2`)).toBe(carried.length);
      }
    } finally {
      rmSync(v1Dir, { recursive: true, force: true });
    }
  });
});
