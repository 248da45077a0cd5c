// The one insert path (clickhouseInserter) against the real embedded engine: what is stored is what
// was inserted (timestamps to the millisecond, null reset times), tokens deduplicate only the block
// they were given to, and values at the limits of the columns are stored exactly (one beyond is
// refused by the classifier, test/unit/classify.test.ts: ClickHouse would wrap it or fail the whole
// block on it).
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../services/config.js';
import { classifyBatch } from '../../services/core/process.js';
import { clickhouseInserter, type StoredCall } from '../../services/store/calls.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { migrate } from '../../services/store/migrate.js';
import { nonKafkaTransport } from '../../services/store/transport.js';
import { tempChdbDir } from '../helpers/chdb.js';

const dataDir = tempChdbDir();
const db = 'calls_insert_test';
let client: ClickHouseClient;

function call(i: number, ts: number, reset_at: number | null): StoredCall {
  return {
    ts,
    provider: 'zhipu',
    model: 'glm-4.6',
    key_fp: `fp_${String(i).padStart(16, '0')}`,
    tenant: 'acme',
    endpoint: '/v4/chat/completions',
    http_status: 429,
    category: 'rate_limit',
    code: '1302',
    known: true,
    retryable: true,
    reset_at,
    message: `msg ${i} "quoted" \\ back\nslash`,
    request_id: `req-${i}`,
    stream: false,
    finish_reason: '',
    latency_ms: i % 2 === 0 ? null : 100 + i,
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    body: '{"error":{"code":"1302"}}',
    src: 'http',
    kafka_topic: '',
    kafka_partition: -1,
    kafka_offset: i,
  };
}

async function stored(): Promise<{ off: number; ts: number; reset: number | null; message: string }[]> {
  const rs = await client.query({
    query: `SELECT kafka_offset AS off, toUnixTimestamp64Milli(ts) AS ts, toUnixTimestamp64Milli(reset_at) AS reset, message
            FROM ${db}.errors_v2 ORDER BY kafka_offset`,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return rs.json();
}

beforeAll(async () => {
  client = await createStoreClient(parseConfig({ CHDB_PATH: dataDir.path }));
  await migrate(client, { CLICKHOUSE_DATABASE: db, RAW_TTL_DAYS: undefined });
});

afterAll(async () => {
  await client?.close();
  dataDir.remove();
});

describe('clickhouseInserter', () => {
  it('stores ts and reset_at to the millisecond, null reset_at as NULL', async () => {
    // Recent times only: errors_v2's 30-day TTL would drop older rows at the next merge.
    const now = Date.now();
    const times: [number, number | null][] = [
      [now - (now % 1000) + 1, null],
      [now - (now % 1000) + 999, now + 60_123],
      [now - 86_400_000 - 7, now - 86_400_000 + 10],
      [now, null],
      [now - 3_600_000 + 120, now + 3_600_999],
    ];
    const rows = times.map(([ts, reset], i) => call(i, ts, reset));
    await clickhouseInserter(client, db).insertCalls(rows, 'ts-test');
    const got = await stored();
    expect(got).toEqual(rows.map((r) => ({ off: r.kafka_offset, ts: r.ts, reset: r.reset_at, message: r.message })));
  });

  it('a block without a token is not deduplicated against the previous block with a token', async () => {
    const inserter = clickhouseInserter(client, db);
    const base = Date.now();
    await inserter.insertCalls([call(100, base, null)], 'tok-a');
    // Same token again: dropped.
    await inserter.insertCalls([call(101, base + 1, null)], 'tok-a');
    // No token: must land, even right after a tokened insert on the same client.
    await inserter.insertCalls([call(102, base + 2, null)]);
    await inserter.insertCalls([call(103, base + 3, null)]);
    const got = (await stored()).filter((r) => r.off >= 100).map((r) => r.off);
    expect(got).toEqual([100, 102, 103]);
  });

  it('a block filled in parts stores exactly what the same calls added at once store', async () => {
    // The Kafka worker fills a segment's block fetch by fetch; a replay may cut the fetches elsewhere.
    // (inserted_at is the insert's own time.)
    const base = Date.now() - 10 * 60_000;
    const calls = Array.from({ length: 90 }, (_, i) => {
      const c = call(1000 + i, base + i * 7_919, i % 5 === 0 ? base + 3_600_000 + i : null);
      c.key_fp = `fp_${String(i % 4).padStart(16, '0')}`;
      if (i % 3 === 0)
        Object.assign(c, { category: 'ok', http_status: 200, code: '', prompt_tokens: i, total_tokens: 2 * i });
      return c;
    });
    const tables = ['errors_v2', 'calls_1m_v2', 'calls_1h_v2', 'calls_fleet_1m_v3'];
    const dump = async (database: string) => {
      const out: Record<string, string[]> = {};
      for (const t of tables) {
        const rs = await client.query({
          query: `SELECT * ${t === 'errors_v2' ? 'EXCEPT (inserted_at)' : ''} FROM ${database}.${t}`,
          format: 'JSONCompactEachRow',
        });
        out[t] = (await rs.text()).split('\n').filter(Boolean).sort();
      }
      return out;
    };
    const whole = 'calls_block_whole';
    const parts = 'calls_block_parts';
    for (const d of [whole, parts]) await migrate(client, { CLICKHOUSE_DATABASE: d, RAW_TTL_DAYS: undefined });
    const a = clickhouseInserter(client, whole).block();
    a.add(calls);
    const b = clickhouseInserter(client, parts).block();
    for (const [from, to] of [
      [0, 1],
      [1, 40],
      [40, 41],
      [41, 90],
    ] as const)
      b.add(calls.slice(from, to));
    expect(b.calls).toBe(calls.length);
    expect(b.bytes).toBe(a.bytes);
    await a.insert('block-test');
    await b.insert('block-test');
    const [w, p] = [await dump(whole), await dump(parts)];
    expect(w.errors_v2).toHaveLength(calls.filter((c) => c.category !== 'ok').length);
    expect(new Set(calls.map((c) => `${Math.floor(c.ts / 60_000)}/${c.key_fp}/${c.category}`)).size).toBe(
      w.calls_1m_v2?.length,
    );
    expect(p).toEqual(w);
  });
});

describe('values at the limits of what the store holds', () => {
  const MAX = 4_294_967_295;
  const last = Date.UTC(2099, 11, 31, 23, 59, 59, 999);
  const env = (o: object) => JSON.stringify({ provider: 'openai', model: 'gpt-4o', key_id: 'limits', ...o });
  const atLimit = [
    env({ ts: last, status: 200, latency_ms: MAX, usage: { prompt_tokens: MAX, completion_tokens: String(MAX) } }),
    env({ ts: last, status: 200, latency_ms: MAX, usage: { prompt_tokens: MAX, completion_tokens: String(MAX) } }),
    env({ ts: last, status: 500, latency_ms: MAX, body: { error: { message: 'overloaded', type: 'server_error' } } }),
  ];

  it('are stored exactly, rollup sums included', async () => {
    const d = 'calls_limits_test';
    await migrate(client, { CLICKHOUSE_DATABASE: d, RAW_TTL_DAYS: undefined });
    const batch = classifyBatch(
      atLimit.map((value) => ({ value, fallbackTs: 0, transport: nonKafkaTransport('http') })),
      {},
    );
    expect(batch.rejected).toEqual([]);
    await clickhouseInserter(client, d).insertCalls(batch.rows);
    const q = async (sql: string) =>
      (
        await client.query({
          query: sql,
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        })
      ).json();
    expect(await q(`SELECT toUnixTimestamp64Milli(ts) AS ts, latency_ms FROM ${d}.errors_v2`)).toEqual([
      { ts: last, latency_ms: MAX },
    ]);
    expect(
      await q(
        `SELECT toUnixTimestamp(bucket) * 1000 AS bucket, sum(calls) AS calls, sum(prompt_tokens) AS p,
                sum(completion_tokens) AS c, sum(total_tokens) AS t, sum(latency_sum) AS l
         FROM ${d}.calls_1m_v2 GROUP BY bucket`,
      ),
    ).toEqual([{ bucket: last - 59_999, calls: 3, p: 2 * MAX, c: 2 * MAX, t: 4 * MAX, l: 3 * MAX }]);
  });
});
