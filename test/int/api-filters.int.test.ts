// Every data route with every filter it declares, generated from the OpenAPI document (the route
// schemas): each filter alone, with one and with two values, every pair of filters, and all at once,
// against the real embedded ClickHouse seeded through the real pipeline. Each answer is checked
// against an oracle computed in plain JS from the stored records: the rows honour the filter and the
// counts are those of the planted calls that match. A new data route without an oracle fails here.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DIMENSIONS, type Dimension } from '../../services/api/dimensions.js';
import { TAXONOMY } from '../../services/core/taxonomy.js';
import type { CallRecord } from '../../services/core/types.js';
import { type TestApp, testApp } from '../helpers/app.js';
import { openTestStore, type SeedKey, seed, type TestStore } from '../helpers/seed.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const TOKEN = 'filters-token-0123456789';
const NOW = Math.floor(Date.now() / MIN) * MIN + 30_000;
const secs = (ms: number) => Math.floor(ms / 1000) * 1000;
const FROM = NOW - 2 * HOUR;
/** The 1m rollup's first bucket for a 2h range ending at NOW. */
const START = Math.floor(FROM / MIN) * MIN;

let store: TestStore;
let app: TestApp;
let records: CallRecord[];
let keys: SeedKey[];
const WALLS = [
  { key: 4, code: '1308' as const, startMs: NOW - 90 * MIN, resetMs: secs(NOW + 3 * HOUR) },
  { key: 6, code: '1113' as const, startMs: NOW - 40 * MIN, resetMs: null },
  // Reset time passed: not a wall.
  { key: 8, code: '1310' as const, startMs: NOW - 3 * HOUR, resetMs: secs(NOW - HOUR) },
];

beforeAll(async () => {
  store = await openTestStore('api_filters');
  const seeded = await seed(store, {
    startMs: NOW - 3 * HOUR,
    endMs: NOW,
    keys: 10,
    surge: { keys: [0, 2], startMs: NOW - 10 * MIN, perMinute: 3, resetMs: secs(NOW + 5 * 24 * HOUR) },
    walls: WALLS,
    unknown: [{ code: '1399', atMs: NOW - 30 * MIN, count: 3 }],
  });
  records = seeded.records;
  keys = seeded.keys;
  app = await testApp({
    client: store.client,
    database: store.database,
    tokens: [TOKEN],
    logLevel: process.env.DEBUG_LOG ? 'warn' : 'silent',
    taxonomy: TAXONOMY,
    now: () => NOW,
    // The embedded engine runs on this thread: a sample interval spent wholly in a query reads as an
    // infinite event-loop delay. This test is about answers, not load shedding (0 = not checked).
    pressure: { maxEventLoopUtilization: 0, maxEventLoopDelay: 0 },
  });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
});

type Row = Record<string, unknown>;
type Filters = Partial<Record<Dimension, string[]>>;

/** A record's value of a dimension, as the API writes it in a label column. */
function value(r: CallRecord, d: Dimension): string | number {
  return d === 'key' ? r.key_fp : r[d];
}

function matches(r: CallRecord, filters: Filters, except: readonly Dimension[] = []): boolean {
  return Object.entries(filters).every(
    ([d, vs]) => except.includes(d as Dimension) || vs.includes(String(value(r, d as Dimension))),
  );
}

/** Sums of calls and errors per label tuple. */
function totals(rs: readonly CallRecord[], dims: readonly Dimension[]): Map<string, { calls: number; errors: number }> {
  const out = new Map<string, { calls: number; errors: number }>();
  for (const r of rs) {
    const k = JSON.stringify(dims.map((d) => String(value(r, d))));
    const t = out.get(k) ?? { calls: 0, errors: 0 };
    t.calls += 1;
    if (r.category !== 'ok') t.errors += 1;
    out.set(k, t);
  }
  return out;
}

function rowTotals(rows: readonly Row[], dims: readonly Dimension[]): Map<string, { calls: number; errors: number }> {
  const out = new Map<string, { calls: number; errors: number }>();
  for (const r of rows) {
    const k = JSON.stringify(dims.map((d) => String(r[d])));
    const t = out.get(k) ?? { calls: 0, errors: 0 };
    t.calls += Number(r.calls);
    t.errors += Number(r.errors);
    if (t.calls > 0 || t.errors > 0) out.set(k, t);
  }
  return out;
}

function expectRowsHonour(rows: readonly Row[], filters: Filters, except: readonly Dimension[] = []): void {
  for (const row of rows) {
    for (const [d, vs] of Object.entries(filters)) {
      if (except.includes(d as Dimension) || !(d in row)) continue;
      expect(vs, `${d}=${String(row[d])} in a row filtered on ${d}=${vs.join(',')}`).toContain(String(row[d]));
    }
  }
}

const inRange = (r: CallRecord) => r.ts >= START && r.ts < NOW;

/** What each route must answer for a set of filters: builds the query, checks the answer. */
interface Oracle {
  query(filters: Filters): Record<string, string>;
  check(body: { rows: Row[] }, filters: Filters): void;
  /** The route's answer is non-empty for these filters (so the case is not vacuous). */
  nonEmpty?(filters: Filters): boolean;
}

const dimsOf = (f: Filters) => Object.keys(f) as Dimension[];

const ORACLES: Record<string, Oracle> = {
  '/api/v1/series': {
    query: (f) => ({ from: String(FROM), to: String(NOW), group_by: dimsOf(f).join(','), max_series: '1000' }),
    check(body, f) {
      expectRowsHonour(body.rows, f);
      const want = totals(
        records.filter((r) => inRange(r) && matches(r, f)),
        dimsOf(f),
      );
      expect(rowTotals(body.rows, dimsOf(f))).toEqual(want);
    },
  },
  '/api/v1/top': {
    query: (f) => ({ from: String(FROM), to: String(NOW), by: dimsOf(f).join(',') || 'code', limit: '1000' }),
    check(body, f) {
      expectRowsHonour(body.rows, f);
      const by = dimsOf(f).length ? dimsOf(f) : (['code'] as Dimension[]);
      expect(rowTotals(body.rows, by)).toEqual(
        totals(
          records.filter((r) => inRange(r) && matches(r, f)),
          by,
        ),
      );
    },
  },
  '/api/v1/surges': {
    query: () => ({ by: 'key', window: '15m', baseline: '24h', min_count: '1', limit: '10000' }),
    check(body, f) {
      const rStart = Math.floor((NOW - 15 * MIN) / MIN) * MIN;
      const want = new Map<string, number>();
      for (const r of records) {
        if (r.category === 'ok' || r.ts < rStart || r.ts >= NOW || !matches(r, f)) continue;
        want.set(r.key_fp, (want.get(r.key_fp) ?? 0) + 1);
      }
      expectRowsHonour(body.rows, f);
      expect(new Map(body.rows.map((r) => [String(r.key), Number(r.count)]))).toEqual(want);
    },
  },
  '/api/v1/quota-walls': {
    query: () => ({ by: 'key', lookback: '6h' }),
    check(body, f) {
      expectRowsHonour(body.rows, f);
      expect(body.rows.map((r) => r.key).sort()).toEqual(expectedWalls(f).sort());
    },
    nonEmpty: (f) => expectedWalls(f).length > 0,
  },
  '/api/v1/samples': {
    query: () => ({ from: String(FROM), to: String(NOW), limit: '1000' }),
    check(body, f) {
      expectRowsHonour(body.rows, f);
      const want = records.filter((r) => r.category !== 'ok' && r.ts >= FROM && r.ts < NOW && matches(r, f));
      expect(body.rows.map((r) => r.request_id).sort()).toEqual(want.map((r) => r.request_id).sort());
    },
  },
  '/api/v1/taxonomy': {
    query: () => ({}),
    check(body, f) {
      expectRowsHonour(body.rows, f);
      const want = TAXONOMY.filter(
        (t) => (!f.provider || f.provider.includes(t.provider)) && (!f.category || f.category.includes(t.category)),
      );
      expect(body.rows).toHaveLength(want.length);
    },
  },
  '/api/v1/unknown-codes': {
    query: () => ({}),
    check(body, f) {
      expectRowsHonour(body.rows, f);
      const want = new Set(records.filter((r) => !r.known && matches(r, f)).map((r) => `${r.provider}|${r.code}`));
      expect(new Set(body.rows.map((r) => `${String(r.provider)}|${String(r.code)}`))).toEqual(want);
    },
  },
  '/api/v1/quota-walls/calendar': {
    query: () => ({ by: 'key', lookback: '6h' }),
    check(body, f) {
      expectRowsHonour(body.rows, f);
      expect(body.rows.map((r) => r.key).sort()).toEqual(expectedWalls(f).sort());
    },
    nonEmpty: (f) => expectedWalls(f).length > 0,
  },
  '/api/v1/quota-walls/timeline': {
    query: () => ({ from: String(FROM), to: String(NOW), lookback: '6h' }),
    check(body, f) {
      const blocked = new Set(body.rows.filter((r) => Number(r.blocked) === 1).map((r) => String(r.key)));
      // The keys at a wall now (as /quota-walls lists them), each blocked from its wall's start.
      const want = expectedWalls(f);
      expect([...blocked].sort()).toEqual(want.sort());
    },
  },
  '/api/v1/retry-waste': {
    query: () => ({ from: String(FROM), to: String(NOW), by: 'key' }),
    check(body, f) {
      expectRowsHonour(body.rows, f);
      // Waste is made of failed calls: every group has failed calls that match the filters.
      const failing = new Set(
        records.filter((r) => r.category !== 'ok' && inRange(r) && matches(r, f)).map((r) => r.key_fp),
      );
      for (const row of body.rows) expect(failing, `key ${String(row.key)}`).toContain(String(row.key));
    },
  },
  '/api/v1/incidents': {
    query: () => ({ from: String(FROM), to: String(NOW) }),
    check(body, f) {
      expectRowsHonour(body.rows, f, ['code', 'category']);
      const failing = new Set(
        records.filter((r) => r.category !== 'ok' && inRange(r) && matches(r, f)).map((r) => `${r.provider}|${r.code}`),
      );
      for (const row of body.rows) {
        if (row.code !== '*') expect(failing, 'episode').toContain(`${String(row.provider)}|${String(row.code)}`);
      }
    },
  },
  '/api/v1/drift': {
    query: () => ({ from: String(FROM), to: String(NOW) }),
    check(body, f) {
      expectRowsHonour(body.rows, f);
      const known = new Set(
        records
          .filter((r) => r.known && r.category !== 'ok' && r.ts >= FROM && r.ts < NOW && matches(r, f))
          .map((r) => `${r.provider}|${r.code}`),
      );
      for (const row of body.rows) expect(known, 'drift row').toContain(`${String(row.provider)}|${String(row.code)}`);
    },
  },
};

/** The planted walls whose calls match every filter (the wall's own code, category, status). */
function expectedWalls(f: Filters): string[] {
  return WALLS.filter((w) => w.resetMs === null || w.resetMs > NOW)
    .filter((w) => records.some((r) => r.key_fp === keys[w.key]!.fp && r.code === w.code && matches(r, f)))
    .map((w) => keys[w.key]!.fp);
}

/** /values/{dimension}: one oracle per dimension; the dimension's own filter is ignored (chained variables). */
function valuesOracle(dimension: Dimension): Oracle {
  return {
    query: () => ({ from: String(FROM), to: String(NOW), limit: '10000' }),
    check(body, f) {
      const want = [
        ...new Set(
          records.filter((r) => inRange(r) && matches(r, f, [dimension])).map((r) => String(value(r, dimension))),
        ),
      ].sort();
      expect(body.rows.map((r) => r.value)).toEqual(want);
    },
  };
}

/**
 * Filter values from the planted data: the walled key 4's own values (so walls, samples and surges
 * answer something) and, for the two-value case, the most frequent other value of the dimension.
 */
function filterValues(d: Dimension): { single: string[]; two: string[] } {
  const wallKey = keys[4]!.fp;
  const wallRecord = records.find((r) => r.key_fp === wallKey && r.code === '1308')!;
  const first = String(value(wallRecord, d));
  const counts = new Map<string, number>();
  for (const r of records)
    if (r.category !== 'ok') counts.set(String(value(r, d)), (counts.get(String(value(r, d))) ?? 0) + 1);
  const other = [...counts.entries()].filter(([v]) => v !== first).sort((a, b) => b[1] - a[1])[0]?.[0];
  return { single: [first], two: other === undefined ? [first] : [first, other] };
}

/** Every filter case for a route's filter parameters. */
function filterCases(params: readonly Dimension[]): { name: string; filters: Filters }[] {
  const cases: { name: string; filters: Filters }[] = [{ name: 'no filter', filters: {} }];
  for (const d of params) {
    const v = filterValues(d);
    cases.push({ name: `${d}=${v.single.join(',')}`, filters: { [d]: v.single } });
    cases.push({ name: `${d}=${v.two.join(',')}`, filters: { [d]: v.two } });
  }
  for (let i = 0; i < params.length; i++) {
    for (let j = i + 1; j < params.length; j++) {
      const a = params[i]!;
      const b = params[j]!;
      cases.push({ name: `${a}+${b}`, filters: { [a]: filterValues(a).two, [b]: filterValues(b).two } });
    }
  }
  if (params.length > 2) {
    const all: Filters = {};
    for (const d of params) all[d] = filterValues(d).two;
    cases.push({ name: 'every filter at once', filters: all });
  }
  return cases;
}

async function dataRoutes(): Promise<{ path: string; filters: Dimension[]; dimensionEnum?: string[] }[]> {
  const doc = (await app.inject({ url: '/openapi.json' })).json() as {
    paths: Record<string, { get?: { parameters?: { name: string; in: string; schema?: { enum?: string[] } }[] } }>;
  };
  return Object.entries(doc.paths)
    .filter(([path, ops]) => path.startsWith('/api/v1/') && ops.get)
    .map(([path, ops]) => {
      const params = ops.get!.parameters ?? [];
      const filters = params
        .filter((p) => p.in === 'query' && (DIMENSIONS as readonly string[]).includes(p.name))
        .map((p) => p.name as Dimension);
      const dimensionEnum = params.find((p) => p.in === 'path' && p.name === 'dimension')?.schema?.enum;
      return { path, filters, ...(dimensionEnum ? { dimensionEnum } : {}) };
    });
}

describe('every data route honours every filter', () => {
  test('every GET data route in the OpenAPI document has an oracle here', async () => {
    const routes = await dataRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const r of routes) {
      if (r.path === '/api/v1/values/{dimension}') expect(r.dimensionEnum?.sort()).toEqual([...DIMENSIONS].sort());
      else expect(Object.keys(ORACLES), `oracle for ${r.path}`).toContain(r.path);
    }
  });

  test('each filter alone, with two values, in pairs and all at once', async () => {
    const routes = await dataRoutes();
    let calls = 0;
    let nonEmpty = 0;
    for (const route of routes) {
      const targets: { url: string; oracle: Oracle }[] =
        route.path === '/api/v1/values/{dimension}'
          ? (route.dimensionEnum ?? []).map((d) => ({
              url: `/api/v1/values/${d}`,
              oracle: valuesOracle(d as Dimension),
            }))
          : [{ url: route.path, oracle: ORACLES[route.path]! }];
      for (const { url, oracle } of targets) {
        for (const c of filterCases(route.filters)) {
          const qs = new URLSearchParams(oracle.query(c.filters));
          for (const [d, vs] of Object.entries(c.filters)) qs.set(d, vs.join(','));
          const res = await app.inject({ url: `${url}?${qs}`, headers: { authorization: `Bearer ${TOKEN}` } });
          expect(res.statusCode, `${url}?${qs} (${c.name}): ${res.body.slice(0, 300)}`).toBe(200);
          const body = res.json() as { rows: Row[] };
          try {
            oracle.check(body, c.filters);
          } catch (err) {
            (err as Error).message = `${url}?${qs} (${c.name}): ${(err as Error).message}`;
            throw err;
          }
          calls++;
          if (body.rows.length > 0) nonEmpty++;
          if (oracle.nonEmpty?.(c.filters)) expect(body.rows.length, `${url}?${qs}`).toBeGreaterThan(0);
        }
      }
    }
    // Most cases must have something to check (the planted values were chosen to match).
    expect(nonEmpty).toBeGreaterThan(calls * 0.7);
  });
});
