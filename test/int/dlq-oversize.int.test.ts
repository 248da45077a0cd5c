// A poison message as large as the source topic admits must never block its partition: the
// dead-letter copy (larger by its headers) is refused by a dead-letter topic with smaller limits, so
// it goes out truncated, with the reason, the original size and SHA-256; the good messages behind it
// are ingested exactly once. And the dead-letter topic the worker ensures takes full copies.
// Real broker, real chDB; the source topic is created with max.message.bytes = 64 KiB to keep it fast.
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../services/config.js';
import { IngestMetrics } from '../../services/ingest/metrics.js';
import { IngestWorker } from '../../services/ingest/worker.js';
import { DLQ_HEADER_ROOM, ensureDeadLetterTopic, topicMaxMessageBytes } from '../../services/kafka/client.js';
import { DLQ_HEADERS, TRUNCATED_VALUE_BYTES } from '../../services/kafka/dlq.js';
import { clickhouseInserter } from '../../services/store/calls.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { clickhouseIntents } from '../../services/store/intents.js';
import { migrate } from '../../services/store/migrate.js';
import { tempChdbDir } from '../helpers/chdb.js';
import { caughtUp, describeKafka, fresh, testKafka, waitFor } from '../helpers/kafka.js';
import { connectKafka, disconnectKafka } from '../helpers/kafka-clients.js';

const SOURCE_MAX = 64 * 1024;
const SMALL_DLQ_MAX = 16 * 1024;
const dataDir = tempChdbDir();
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let client: ClickHouseClient;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
/** Largest value (no key, no headers) a topic with max.message.bytes = SOURCE_MAX admits, found on the broker. */
let atLimit: number;

async function createTopic(topic: string, maxMessageBytes: number, extra: Record<string, string> = {}) {
  const configEntries = Object.entries({ 'max.message.bytes': String(maxMessageBytes), ...extra }).map(
    ([name, value]) => ({ name, value }),
  );
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries }], waitForLeaders: true });
}

async function accepted(topic: string, size: number): Promise<boolean> {
  try {
    await producer.send({ topic, acks: -1, messages: [{ value: Buffer.alloc(size, 0x7b) }] });
    return true;
  } catch (err) {
    if ((err as { type?: string }).type === 'MESSAGE_TOO_LARGE') return false;
    throw err;
  }
}

/** Not JSON, exactly `size` bytes, different per seed. */
function poison(size: number, seed: string): Buffer {
  const b = Buffer.alloc(size, 0x78);
  b.write(`{not json ${seed} `, 0, 'utf8');
  return b;
}

function good(i: number): string {
  return JSON.stringify({
    ts: new Date(Date.now() - i * 1000).toISOString(),
    provider: 'openai',
    model: 'gpt-4o',
    key_id: 'key-a',
    status: 429,
    request_id: `good-${i}`,
    body: { error: { message: 'Rate limit reached for gpt-4o', type: 'requests', code: 'rate_limit_exceeded' } },
  });
}

interface Letter {
  value: Buffer;
  headers: Record<string, string>;
}

async function readAll(topic: string, expected: number): Promise<Letter[]> {
  const out: Letter[] = [];
  const consumer = kafka.consumer({ groupId: fresh('dlq-reader'), maxBytesPerPartition: 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? ({} as IHeaders))) headers[k] = String(v);
      out.push({ value: message.value ?? Buffer.alloc(0), headers });
    },
  });
  try {
    await waitFor(`${expected} messages on ${topic}`, () => out.length >= expected, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

async function one(query: string): Promise<number> {
  const rs = await client.query({ query, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0);
}

async function runScenario(dlq: string) {
  const db = fresh('db').replaceAll('-', '_');
  const topic = fresh('big');
  const group = fresh('group');
  await migrate(client, parseConfig({ CLICKHOUSE_DATABASE: db }));
  await createTopic(topic, SOURCE_MAX);
  // Good, poison at the limit, good, poison just under it, good: one partition, in this order.
  const bad = [poison(atLimit, 'at-limit'), poison(atLimit - 1, 'under-limit')];
  const goods = Array.from({ length: 9 }, (_, i) => good(i));
  const sequence: (string | Buffer)[] = [
    ...goods.slice(0, 3),
    bad[0]!,
    ...goods.slice(3, 6),
    bad[1]!,
    ...goods.slice(6),
  ];
  for (const value of sequence) await producer.send({ topic, acks: -1, messages: [{ value }] });
  const metrics = new IngestMetrics(false);
  const w = new IngestWorker(
    {
      kafka: testKafka(fresh('worker')),
      inserter: clickhouseInserter(client, db),
      intents: clickhouseIntents(client, db),
      log,
      metrics,
    },
    {
      topic,
      groupId: group,
      dlqTopic: dlq,
      maxMessageBytes: 1_048_576,
      segmentMax: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      retry: { retries: 2, initialRetryTime: 200 },
    },
  );
  try {
    await w.start();
    await waitFor('worker caught up past both poison messages', () => caughtUp(admin, group, topic), 60_000);
  } finally {
    await w.stop();
  }
  const letters = await readAll(dlq, bad.length);
  return { db, topic, bad, goods, letters, metrics };
}

async function expectGoodsOnce(db: string, n: number) {
  expect(await one(`SELECT sum(calls) AS n FROM ${db}.calls_1m_v2`)).toBe(n);
  expect(await one(`SELECT count() AS n FROM ${db}.errors_v2`)).toBe(n);
  expect(await one(`SELECT uniqExact(request_id) AS n FROM ${db}.errors_v2`)).toBe(n);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  client = await createStoreClient(parseConfig({ CHDB_PATH: dataDir.path }));
  ({ kafka, admin, producer } = await connectKafka({ allowAutoTopicCreation: false }));
  {
    const probe = fresh('probe');
    await createTopic(probe, SOURCE_MAX);
    // Binary search for the largest value the broker admits under this topic limit.
    let lo = SOURCE_MAX - 1024;
    let hi = SOURCE_MAX;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (await accepted(probe, mid)) lo = mid;
      else hi = mid - 1;
    }
    atLimit = lo;
  }
});

afterAll(async () => {
  await disconnectKafka({ producer, admin });
  await client?.close();
  dataDir.remove();
});

describeKafka('dead letters never block a partition', () => {
  it('the probe found the limit: one byte more is refused by the source topic', async () => {
    const t = fresh('edge');
    await createTopic(t, SOURCE_MAX);
    expect(await accepted(t, atLimit)).toBe(true);
    expect(await accepted(t, atLimit + 1)).toBe(false);
  });

  it('poison at and just under max.message.bytes, dead-letter topic with smaller limits: truncated copies, good messages once', async () => {
    const dlq = fresh('small-dlq');
    await createTopic(dlq, SMALL_DLQ_MAX);
    const { db, bad, goods, letters, metrics } = await runScenario(dlq);
    await expectGoodsOnce(db, goods.length);

    expect(letters).toHaveLength(bad.length);
    for (const [i, original] of bad.entries()) {
      const l = letters.find((x) => x.headers[DLQ_HEADERS.sha256] === sha(original));
      expect(l, `dead letter of poison ${i}`).toBeDefined();
      expect(l!.headers[DLQ_HEADERS.originalSize]).toBe(String(original.byteLength));
      expect(l!.headers[DLQ_HEADERS.truncated]).toMatch(/^MESSAGE_TOO_LARGE/);
      expect(l!.headers[DLQ_HEADERS.reason]).toMatch(/invalid JSON/);
      // 16 KiB of value plus headers exceeds the 16 KiB topic; the next rung (1 KiB) fits.
      expect(l!.value.byteLength).toBe(TRUNCATED_VALUE_BYTES[1]);
      expect(l!.value.equals(original.subarray(0, l!.value.byteLength))).toBe(true);
    }
    const truncated = await metrics.deadLettersTruncated.get();
    expect(truncated.values.reduce((a, v) => a + v.value, 0)).toBe(bad.length);
  });

  it('the dead-letter topic the worker ensures takes full copies: raised from smaller limits, other settings kept', async () => {
    const dlq = fresh('raised-dlq');
    await createTopic(dlq, SMALL_DLQ_MAX, { 'retention.ms': '3600000' });
    const source = fresh('source');
    await createTopic(source, SOURCE_MAX);
    const limits = await ensureDeadLetterTopic(admin, dlq, source, log);
    expect(limits).toEqual({ source: SOURCE_MAX, dlq: SOURCE_MAX + DLQ_HEADER_ROOM, created: false, raised: true });
    expect(await topicMaxMessageBytes(admin, dlq)).toBe(SOURCE_MAX + DLQ_HEADER_ROOM);
    const rs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: dlq, configNames: ['retention.ms'] }],
    });
    expect(rs.resources[0]?.configEntries[0]?.configValue).toBe('3600000');

    const { db, bad, goods, letters, metrics } = await runScenario(dlq);
    await expectGoodsOnce(db, goods.length);
    expect(letters).toHaveLength(bad.length);
    for (const original of bad) {
      const l = letters.find((x) => x.value.equals(original));
      expect(l, 'full copy on the dead-letter topic').toBeDefined();
      expect(l!.headers[DLQ_HEADERS.truncated]).toBeUndefined();
    }
    expect((await metrics.deadLettersTruncated.get()).values.reduce((a, v) => a + v.value, 0)).toBe(0);
  });

  it('a missing dead-letter topic is created with limits above the source topic; a missing source is a clear error', async () => {
    const source = fresh('source');
    await createTopic(source, SOURCE_MAX);
    const dlq = fresh('new-dlq');
    const limits = await ensureDeadLetterTopic(admin, dlq, source, log);
    expect(limits.created).toBe(true);
    expect(await topicMaxMessageBytes(admin, dlq)).toBeGreaterThanOrEqual(SOURCE_MAX + DLQ_HEADER_ROOM);
    const missing = fresh('missing');
    await expect(ensureDeadLetterTopic(admin, fresh('dlq'), missing, log)).rejects.toThrow(
      `topic ${missing} does not exist`,
    );
  });
});
