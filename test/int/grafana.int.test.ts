// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana writes its macros and variables as ${name}.
// Every Grafana query errorscope ships, run against the real API (app.inject) over data that went
// through the real pipeline into the embedded ClickHouse, and turned into frames the way the Infinity
// backend parser does (test/helpers/infinity.ts). Then the alert rules, evaluated minute by minute
// with their pending periods, over three worlds (one database each, same chDB engine):
//   quiet    ordinary traffic, a 1310 now and then, everyday rate limits and overloads: nothing fires;
//   surge    a 1310 surge on two keys and two quota walls: exactly those fire;
//   overload a provider-wide 1305 burst (and a 529 burst on only two keys of another provider):
//            only the provider-wide rule fires, for that provider only.
// Expected answers come from the stored records in plain JS, never from the API under test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAXONOMY } from '../../services/core/taxonomy.js';
import type { CallRecord, Envelope } from '../../services/core/types.js';
import { migrate } from '../../services/store/migrate.js';
import { injectUnshed, type TestApp, testApp } from '../helpers/app.js';
import {
  type AlertRule,
  AlertStateMachine,
  buildRequestUrl,
  calculateIntervalMs,
  type Dashboard,
  dashboardQueries,
  evaluateRule,
  type Frame,
  type InterpolationContext,
  labelKey,
  loadAlertRules,
  loadDashboards,
  parseBackendResponse,
  parseDuration,
  postProcess,
  resolveDashboardQuery,
  timeSeriesSchema,
  type VariableValue,
} from '../helpers/infinity.js';
import { byTime, minuteBurst, zhipuError } from '../helpers/planted.js';
import { generateEnvelopes, ingestEnvelopes, openTestStore, type SeedKey, type TestStore } from '../helpers/seed.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const TOKEN = 'grafana-test-token-0123456789';
const NOW = Math.floor(Date.now() / MIN) * MIN + 30_000;
const secs = (ms: number) => Math.floor(ms / 1000) * 1000;
const SURGE_RESET = secs(NOW + 5 * 24 * HOUR);
const WALL_RESET = secs(NOW + 3 * HOUR);
const START = NOW - 26 * HOUR;
const DRIFTED = 12;
const DRIFT_MESSAGE = 'Quota for the current 5-hour window has been used up';
const KEYS = 12;

const rules = loadAlertRules();
const dashboards = loadDashboards();
const rule = (uid: string) => {
  const r = rules.find((x) => x.uid === uid);
  if (!r) throw new Error(`no rule ${uid}`);
  return r;
};

interface World {
  database: string;
  records: CallRecord[];
  keys: SeedKey[];
  clock: { now: number };
  app: TestApp;
}

let store: TestStore;
const worlds: Record<'quiet' | 'surge' | 'overload', World> = {} as never;

/** A Zhipu-style business error, numbered `n` for its request id. */
const gfError = (key: SeedKey, ts: number, code: string, message: string, n: number) =>
  zhipuError(key, ts, code, message, `req-gf-${code}-${key.index}-${n}`);

/** `perMinute` errors per key from `startMs` to NOW, spread over each minute. */
const burst = (
  keys: SeedKey[],
  startMs: number,
  perMinute: number,
  make: (k: SeedKey, ts: number, n: number) => Envelope,
) => minuteBurst(keys, startMs, NOW, perMinute, make);

async function makeWorld(database: string, envelopes: Envelope[], keys: SeedKey[]): Promise<World> {
  if (database !== store.database)
    await migrate(store.client, { CLICKHOUSE_DATABASE: database, RAW_TTL_DAYS: undefined });
  const sorted = byTime(envelopes);
  const records = await ingestEnvelopes(store.client, database, sorted);
  const clock = { now: NOW };
  const app = await testApp({
    client: store.client,
    database: database,
    tokens: [TOKEN],
    taxonomy: TAXONOMY,
    now: () => clock.now,
  });
  return { database, records, keys, clock, app };
}

beforeAll(async () => {
  store = await openTestStore('gf_quiet');
  const base = generateEnvelopes({ startMs: START, endMs: NOW, keys: KEYS });
  const keys = base.keys;
  // A 1310 on key 0 every 45 minutes, the last one inside the alert window: seen, never a surge.
  const occasional = burst([keys[0]!], START, 1, (k, ts, n) =>
    gfError(k, ts, '1310', `Weekly/Monthly Limit Exhausted. Your limit will reset at 2099-01-01 00:00:00`, n),
  ).filter((e) => Math.round(Date.parse(String(e.ts)) / MIN) % 45 === Math.round((NOW - 5 * MIN) / MIN) % 45);
  worlds.quiet = await makeWorld('gf_quiet', [...base.envelopes, ...occasional], keys);

  const surge = generateEnvelopes({
    startMs: START,
    endMs: NOW,
    keys: KEYS,
    surge: { keys: [0, 2], startMs: NOW - 10 * MIN, perMinute: 3, resetMs: SURGE_RESET },
    walls: [
      { key: 4, code: '1308', startMs: NOW - 90 * MIN, resetMs: WALL_RESET },
      { key: 6, code: '1113', startMs: NOW - 40 * MIN, resetMs: null },
    ],
    unknown: [{ code: '1399', atMs: NOW - 2 * HOUR, count: 3 }],
  });
  // A reworded 1308 (no template matches, no reset time in it) on a key that keeps succeeding: drift.
  const drifted = Array.from({ length: DRIFTED }, (_, i) =>
    gfError(keys[8]!, NOW - 30 * MIN + i * MIN + 5_000, '1308', DRIFT_MESSAGE, i),
  );
  worlds.surge = await makeWorld('gf_surge', [...surge.envelopes, ...drifted], surge.keys);

  // Provider-wide: 1305 on every zhipu key; and 529 overloads on the two anthropic keys only.
  const zhipuKeys = keys.filter((k) => k.provider === 'zhipu');
  const anthropicKeys = keys.filter((k) => k.provider === 'anthropic');
  const overload = [
    ...burst(zhipuKeys, NOW - 12 * MIN, 4, (k, ts, n) =>
      gfError(k, ts, '1305', 'The API has triggered a rate limit.', n),
    ),
    ...burst(anthropicKeys, NOW - 12 * MIN, 4, (k, ts, n) => ({
      ...gfError(k, ts, '529', '', n),
      status: 529,
      body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    })),
  ];
  worlds.overload = await makeWorld('gf_overload', [...base.envelopes, ...overload], keys);
}, 600_000);

afterAll(async () => {
  for (const w of Object.values(worlds)) await w?.app.close();
  await store?.close();
});

async function fetchJson(world: World, path: string): Promise<unknown> {
  const res = await injectUnshed(world.app, {
    method: 'GET',
    url: path,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (res.statusCode !== 200) throw new Error(`GET ${path} -> ${res.statusCode}: ${res.body}`);
  return res.json();
}

// ---------------------------------------------------------------------------------------------
// Dashboards

function context(d: Dashboard, overrides: Record<string, VariableValue> = {}): InterpolationContext {
  const fromMs = NOW - 6 * HOUR;
  const variables: Record<string, VariableValue> = {};
  for (const v of d.templating.list) {
    if (v.type === 'datasource') continue;
    variables[v.name] =
      v.type === 'textbox' ? { value: [''] } : { value: ['$__all'], allValue: v.allValue ?? null, options: [] };
  }
  return { fromMs, toMs: NOW, intervalMs: calculateIntervalMs(fromMs, NOW), variables: { ...variables, ...overrides } };
}

async function runDashboardQuery(
  world: World,
  d: Dashboard,
  query: Parameters<typeof resolveDashboardQuery>[0],
  ctx: InterpolationContext,
) {
  const resolved = resolveDashboardQuery(query, ctx);
  const url = buildRequestUrl(resolved, 'http://api:8080');
  const body = await fetchJson(world, `${url.pathname}${url.search}`);
  const raw = parseBackendResponse(body, resolved);
  return { raw, processed: postProcess(raw, resolved.format), url: url.toString(), dashboard: d.uid };
}

const FIELD_TYPE: Record<string, Frame['fields'][number]['type']> = {
  string: 'string',
  number: 'number',
  timestamp_epoch: 'time',
  boolean: 'boolean',
};
/** Columns that are legitimately all null (no reset time known). */
const NULLABLE = new Set(['reset_at']);

describe('every dashboard query returns typed, non-empty frames', () => {
  const all = dashboards.flatMap((d) => dashboardQueries(d).map((q) => ({ ...q, d })));

  it.each(all.map((q) => [q.where, q] as const))('%s', async (_w, { d, query }) => {
    const world = worlds.surge;
    const { raw, processed, url } = await runDashboardQuery(world, d, query, context(d));
    const rows = raw.fields[0]?.values.length ?? 0;
    expect(rows, url).toBeGreaterThan(0);
    expect(raw.fields.map((f) => f.name).sort()).toEqual(query.columns.map((c) => c.text).sort());
    for (const col of query.columns) {
      const field = raw.fields.find((f) => f.name === col.text)!;
      expect(field.type, `${col.text} in ${url}`).toBe(FIELD_TYPE[col.type]);
      if (!NULLABLE.has(col.selector)) {
        expect(
          field.values.some((v) => v !== null),
          `${col.text} is all null in ${url}`,
        ).toBe(true);
      }
    }
    if (query.format === 'timeseries') {
      expect(processed.error, url).toBeUndefined();
      const series = processed.frame.fields.filter((f) => f.type === 'number');
      // Wide: one time field and number fields (Grafana finds the time field wherever it is).
      expect(timeSeriesSchema(processed.frame), url).toBe('wide');
      expect(series.length).toBeGreaterThan(0);
      // Long-to-wide gives one field per label set: the label sets must be distinct.
      const ids = series.map((f) => `${f.name}{${labelKey(f.labels ?? {})}}`);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('variable values narrow every panel (the :csv lists reach the API as filters)', async () => {
    const world = worlds.surge;
    const overview = dashboards.find((d) => d.uid === 'errorscope-overview')!;
    const wanted = [world.keys[0]!.fp, world.keys[3]!.fp];
    const ctx = context(overview, { key: { value: wanted } });
    const topKeys = dashboardQueries(overview).find((q) => q.where.includes('Top failing keys'))!;
    const { raw } = await runDashboardQuery(world, overview, topKeys.query, ctx);
    expect(raw.fields.find((f) => f.name === 'key')?.values.sort()).toEqual([...wanted].sort());
    const errors = dashboardQueries(overview).find((q) => q.where.includes('/ Errors /'))!;
    const { raw: series } = await runDashboardQuery(world, overview, errors.query, ctx);
    const values = (series.fields.find((f) => f.name === 'errors')?.values ?? []) as number[];
    const total = values.reduce((a, b) => a + b, 0);
    const expected = world.records.filter(
      (r) => wanted.includes(r.key_fp) && r.category !== 'ok' && r.ts >= ctx.fromMs && r.ts < NOW,
    ).length;
    // The series counts whole 1m buckets: only errors in the minute around `from` may differ.
    expect(total).toBeGreaterThan(0);
    expect(Math.abs(total - expected)).toBeLessThanOrEqual(
      world.records.filter((r) => wanted.includes(r.key_fp) && r.category !== 'ok' && Math.abs(r.ts - ctx.fromMs) < MIN)
        .length,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Alert rules

/** Evaluates a rule every minute from NOW-6m to NOW through its state machine; returns who fires at NOW. */
async function runRule(world: World, r: AlertRule) {
  const machine = new AlertStateMachine(parseDuration(r.for), parseDuration(r.keepFiringFor));
  let last: Awaited<ReturnType<typeof evaluateRule>> | undefined;
  for (let t = NOW - 6 * MIN; t <= NOW; t += MIN) {
    world.clock.now = t;
    last = await evaluateRule(r, t, (path) => fetchJson(world, path));
    machine.step(t, last.firing);
  }
  world.clock.now = NOW;
  return { alerting: machine.alerting(), last: last! };
}

const PER_KEY = [
  'errorscope-1310-surge',
  'errorscope-quota-wall',
  'errorscope-rate-limit-spike',
  'errorscope-retry-waste',
  'errorscope-wall-pause',
  'errorscope-wording-drift',
];

/** The quota walls at NOW from the records: quota errors after a key's last minute with a success. */
function oracleWalls(records: CallRecord[], codes: string[], lookbackMs: number) {
  const from = NOW - lookbackMs;
  const fromMin = Math.floor(from / MIN) * MIN;
  const lastOk = new Map<string, number>();
  for (const r of records) {
    if (r.category === 'ok' && r.ts >= fromMin && r.ts <= NOW) {
      const b = Math.floor(r.ts / MIN) * MIN;
      lastOk.set(r.key_fp, Math.max(lastOk.get(r.key_fp) ?? 0, b));
    }
  }
  const walls = new Map<string, CallRecord[]>();
  for (const r of records) {
    if (!codes.includes(r.code) || r.ts < from || r.ts > NOW) continue;
    if (Math.floor(r.ts / 1000) < Math.floor((lastOk.get(r.key_fp) ?? 0) / 1000) + 60) continue;
    walls.set(r.key_fp, [...(walls.get(r.key_fp) ?? []), r]);
  }
  return new Map(
    [...walls].filter(([, rs]) => {
      const reset = Math.max(...rs.map((r) => r.reset_at ?? -1));
      return reset === -1 || reset > NOW;
    }),
  );
}

describe('alert rules: quiet world', () => {
  it.each(rules.map((r) => [r.uid, r] as const))('%s does not fire on ordinary traffic', async (_u, r) => {
    const { alerting, last } = await runRule(worlds.quiet, r);
    expect(alerting).toEqual([]);
    expect(last.firing).toEqual([]);
  });

  it('the occasional 1310 is seen (a row for key 0) but is not a surge', async () => {
    const { last } = await runRule(worlds.quiet, rule('errorscope-1310-surge'));
    const seen = last.results.N;
    expect(seen?.kind).toBe('numbers');
    const k0 = worlds.quiet.keys[0]!.fp;
    expect(seen?.kind === 'numbers' && seen.items.map((i) => i.labels)).toEqual([{ key: k0 }]);
    expect(last.results.C).toEqual({ kind: 'numbers', items: [{ labels: { key: k0 }, value: 0 }] });
  });
});

describe('alert rules: 1310 surge and quota walls', () => {
  it('the 1310 surge rule fires for exactly the two surging keys, with their counts', async () => {
    const w = worlds.surge;
    const { alerting, last } = await runRule(w, rule('errorscope-1310-surge'));
    const surging = [w.keys[0]!.fp, w.keys[2]!.fp];
    expect(alerting.map((l) => l.key).sort()).toEqual([...surging].sort());
    const windowStart = Math.floor((NOW - 15 * MIN) / MIN) * MIN;
    const counts = last.results.M;
    for (const fp of surging) {
      const expected = w.records.filter(
        (r) => r.key_fp === fp && r.code === '1310' && r.ts >= windowStart && r.ts < NOW,
      ).length;
      expect(counts?.kind === 'numbers' && counts.items.find((i) => i.labels.key === fp)?.value).toBe(expected);
    }
  });

  it('the quota-wall rule fires for exactly the walled keys, with the reset time for the annotation', async () => {
    const w = worlds.surge;
    const r = rule('errorscope-quota-wall');
    const codes = (
      (r.data[0]!.model.url_options as { params: { key: string; value: string }[] }).params.find(
        (p) => p.key === 'codes',
      )?.value ?? ''
    ).split(',');
    const expected = oracleWalls(w.records, codes, 6 * HOUR);
    expect([...expected.keys()].sort()).toEqual([w.keys[4]!.fp, w.keys[6]!.fp].sort());
    const { alerting, last } = await runRule(w, r);
    expect(alerting.map((l) => l.key).sort()).toEqual([...expected.keys()].sort());
    for (const l of alerting) {
      const rs = expected.get(l.key!)!;
      expect(l.code).toBe(rs.at(-1)!.code);
      expect(l.tenant).toBe(rs[0]!.tenant);
    }
    const s = last.results.S;
    const reset = (fp: string) => (s?.kind === 'numbers' ? s.items.find((i) => i.labels.key === fp)?.value : undefined);
    expect(reset(w.keys[4]!.fp)).toBe(WALL_RESET / 1000);
    expect(reset(w.keys[6]!.fp)).toBeNaN();
  });

  it('the retry-waste rule fires for the keys that keep calling into their walls, with the wasted calls', async () => {
    const w = worlds.surge;
    const { alerting, last } = await runRule(w, rule('errorscope-retry-waste'));
    // Keys 4 (1308 until its reset) and 6 (1113, no reset: repeats) fail every call, no success since;
    // the surge keys 0 and 2 still succeed every minute, so their 1310s are not waste.
    const walled = [w.keys[4]!, w.keys[6]!];
    expect(alerting.map((l) => l.key).sort()).toEqual(walled.map((k) => k.fp).sort());
    for (const k of walled) {
      // Every wall error of the key in the rule's last hour but the first (how the client learned).
      const n = w.records.filter(
        (r) => r.key_fp === k.fp && ['1308', '1113'].includes(r.code) && r.ts >= NOW - HOUR && r.ts < NOW,
      ).length;
      const b = last.results.B;
      expect(b?.kind === 'numbers' && b.items.find((i) => i.labels.key === k.fp)?.value).toBe(n - 1);
    }
  });

  it('the wall-pause rule fires per walled key with the labels a receiver needs (reset ISO and epoch)', async () => {
    const w = worlds.surge;
    const { alerting } = await runRule(w, rule('errorscope-wall-pause'));
    const [k4, k6] = [w.keys[4]!, w.keys[6]!];
    const last = (fp: string, code: string) => w.records.filter((r) => r.key_fp === fp && r.code === code).at(-1)!;
    expect([...alerting].sort((a, b) => (a.key! < b.key! ? -1 : 1))).toEqual(
      [
        {
          key: k4.fp,
          tenant: k4.tenant,
          provider: k4.provider,
          model: last(k4.fp, '1308').model,
          code: '1308',
          until_iso: new Date(WALL_RESET).toISOString(),
          reset_at_epoch: String(WALL_RESET / 1000),
        },
        {
          key: k6.fp,
          tenant: k6.tenant,
          provider: k6.provider,
          model: last(k6.fp, '1113').model,
          code: '1113',
          until_iso: '',
          reset_at_epoch: '',
        },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
  });

  it('the wording-drift rule fires for the reworded code only, with its unmatched share', async () => {
    const w = worlds.surge;
    const { alerting, last } = await runRule(w, rule('errorscope-wording-drift'));
    const k8 = w.keys[8]!;
    expect(alerting).toEqual([{ provider: k8.provider, code: '1308' }]);
    // In the rule's last hour at NOW: every 1308 of that provider is a drifted one.
    const calls = w.records.filter(
      (r) => r.provider === k8.provider && r.code === '1308' && r.ts >= NOW - HOUR && r.ts < NOW,
    );
    const unmatched = calls.filter((r) => r.message === DRIFT_MESSAGE).length;
    expect(unmatched).toBe(DRIFTED);
    expect(last.results.B).toEqual({
      kind: 'numbers',
      items: [{ labels: { provider: k8.provider, code: '1308' }, value: unmatched / calls.length }],
    });
  });

  it.each(['errorscope-rate-limit-spike', 'errorscope-provider-overload'])('%s stays quiet', async (uid) => {
    expect((await runRule(worlds.surge, rule(uid))).alerting).toEqual([]);
  });
});

describe('alert rules: provider-wide overload', () => {
  it('fires for the provider whose keys all see 1305, not for the one with only two keys hit', async () => {
    const w = worlds.overload;
    const { alerting, last } = await runRule(w, rule('errorscope-provider-overload'));
    expect(alerting).toEqual([{ provider: 'zhipu' }]);
    const keysHit = last.results.D;
    const zhipuKeys = w.keys.filter((k) => k.provider === 'zhipu').length;
    expect(zhipuKeys).toBeGreaterThanOrEqual(3);
    expect(keysHit?.kind === 'numbers' && keysHit.items.find((i) => i.labels.provider === 'zhipu')?.value).toBe(
      zhipuKeys,
    );
    // anthropic surges too, but on 2 keys: surging, not provider-wide.
    const surging = last.results.B;
    expect(surging?.kind === 'numbers' && surging.items.find((i) => i.labels.provider === 'anthropic')?.value).toBe(1);
    expect(keysHit?.kind === 'numbers' && keysHit.items.find((i) => i.labels.provider === 'anthropic')?.value).toBe(2);
    // The incidents route calls the zhipu episode provider-wide (4 keys of 2 tenants) and the anthropic
    // one (2 keys of one tenant) account-scoped: W is 1 for zhipu, 0 for anthropic.
    const zhipuTenants = new Set(w.keys.filter((k) => k.provider === 'zhipu').map((k) => k.tenant)).size;
    const anthropicTenants = new Set(w.keys.filter((k) => k.provider === 'anthropic').map((k) => k.tenant)).size;
    expect([zhipuTenants >= 2, anthropicTenants]).toEqual([true, 1]);
    expect(last.results.W).toEqual({
      kind: 'numbers',
      items: [
        { labels: { provider: 'anthropic' }, value: 0 },
        { labels: { provider: 'zhipu' }, value: 1 },
      ],
    });
  });

  it.each(PER_KEY)('%s (per key) does not fire on a provider-wide burst', async (uid) => {
    expect((await runRule(worlds.overload, rule(uid))).alerting).toEqual([]);
  });
});
