// Retention says what it drops: a backfill through the HTTP ingest endpoint answers, per table, how
// many of its calls were already past that table's retention, and the store holds exactly the rest.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../services/api/server.js';
import { parseConfig } from '../../services/config.js';
import { storeIngest } from '../helpers/app.js';
import { openTestStore, type TestStore } from '../helpers/seed.js';

const DAY = 86_400_000;
const NOW = Date.now();
let store: TestStore;

beforeAll(async () => {
  store = await openTestStore('retention_it');
});
afterAll(async () => {
  await store?.close();
});

const envelope = (daysAgo: number, i: number, failed: boolean) =>
  JSON.stringify({
    ts: new Date(NOW - daysAgo * DAY - i).toISOString(),
    url: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
    model: 'glm-4.6',
    api_key: `sk-retention-${i}`,
    request_id: `r-${daysAgo}-${i}`,
    latency_ms: 100 + i,
    ...(failed
      ? { status: 429, body: { error: { code: '1302', message: 'High concurrency usage of this API' } } }
      : { status: 200, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
  });

describe('retention at ingest', () => {
  test('the HTTP answer counts what each table drops, and the tables hold exactly the rest', async () => {
    // Planted: per age, `n` calls of which `failed` fail.
    const plan = [
      { daysAgo: 1, n: 5, failed: 2 },
      { daysAgo: 20, n: 4, failed: 3 },
      { daysAgo: 60, n: 6, failed: 1 },
      { daysAgo: 700, n: 3, failed: 3 },
    ];
    const lines = plan.flatMap((p) => Array.from({ length: p.n }, (_, i) => envelope(p.daysAgo, i, i < p.failed)));
    const app = await buildApp({
      config: parseConfig({
        CLICKHOUSE_DATABASE: store.database,
        HOST: '127.0.0.1',
        API_TOKENS: 'retention-token-0123',
      }),
      client: store.client,
      logger: pino({ level: 'silent' }),
      ingest: storeIngest(store.client, store.database),
      now: () => NOW,
    });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { authorization: 'Bearer retention-token-0123', 'content-type': 'application/x-ndjson' },
      payload: `${lines.join('\n')}\n`,
    });
    await app.close();
    expect(res.statusCode, res.body).toBe(200);
    const older = (days: number, failedOnly = false) =>
      plan.filter((p) => p.daysAgo > days).reduce((s, p) => s + (failedOnly ? p.failed : p.n), 0);
    const expected = {
      errors: older(30, true),
      calls_1m: older(14),
      calls_1h: older(400),
      calls_1d: older(1825),
    };
    const body = JSON.parse(res.body);
    expect(body.accepted).toBe(lines.length);
    expect(body.beyond_retention).toEqual(expected);

    // What the store holds once TTLs have run (OPTIMIZE FINAL applies them to every part).
    const total = plan.reduce((s, p) => s + p.n, 0);
    const failed = plan.reduce((s, p) => s + p.failed, 0);
    const db = store.database;
    for (const t of ['errors_v2', 'calls_1m_v2', 'calls_1h_v2', 'calls_1d_v2']) {
      await store.client.command({ query: `OPTIMIZE TABLE ${db}.${t} FINAL` });
    }
    const one = async (q: string) =>
      Number((await (await store.client.query({ query: q, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n ?? 0);
    expect(await one(`SELECT count() AS n FROM ${db}.errors_v2`)).toBe(failed - expected.errors);
    expect(await one(`SELECT sum(calls) AS n FROM ${db}.calls_1m_v2`)).toBe(total - expected.calls_1m);
    expect(await one(`SELECT sum(calls) AS n FROM ${db}.calls_1h_v2`)).toBe(total - expected.calls_1h);
    expect(await one(`SELECT sum(calls) AS n FROM ${db}.calls_1d_v2`)).toBe(total - expected.calls_1d);
  });
});
