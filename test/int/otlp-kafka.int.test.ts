// `errorscope ingest --format otlp_proto|otlp_json`: OpenTelemetry Collector kafka-exporter messages (one
// OTLP export request each) on a fresh topic of the real broker, consumed by the CLI worker into chDB.
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../services/config.js';
import { fingerprintKey } from '../../services/core/fingerprint.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { tempChdbDir } from '../helpers/chdb.js';
import { spawnIngest } from '../helpers/cli-worker.js';
import {
  caughtUp,
  createTopic,
  describeKafka,
  fresh,
  kafkaBrokers,
  readDeadLetters,
  waitFor,
} from '../helpers/kafka.js';
import { connectKafka, disconnectKafka } from '../helpers/kafka-clients.js';
import { envelopeLogs, llmSpans } from '../helpers/otel-sdk.js';

const dataDir = tempChdbDir();
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
const KEY = 'sk-otlp-kafka-key-0000001';
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let client: ClickHouseClient | null = null;

beforeAll(async () => {
  // A just-created topic may take a while to be hosted on a loaded machine: the client's own retries
  // (UNKNOWN_TOPIC_OR_PARTITION is retriable) get a longer budget than the default 5.
  ({ kafka, admin, producer } = await connectKafka({ retry: { retries: 12, maxRetryTime: 5_000 } }));
});

afterAll(async () => {
  await disconnectKafka({ producer, admin });
  await client?.close();
  dataDir.remove();
});

describeKafka('errorscope ingest --format otlp_*', () => {
  it('a bad --format is a usage error naming the choices', async () => {
    const w = spawnIngest(['--format', 'otlp'], { KAFKA_BROKERS: kafkaBrokers.join(','), CHDB_PATH: dataDir.path });
    expect(await w.exited).toBe(2);
    expect(w.output()).toMatch(/INGEST_FORMAT[\s\S]*otlp_proto/);
  });

  it.each(['otlp_proto', 'otlp_json'] as const)(
    '%s: LLM spans and envelope log bodies stored, bad messages dead-lettered',
    async (format) => {
      const topic = fresh(`otlp-${format}`);
      const dlq = fresh('otlp-dlq');
      const group = fresh('otlp-group');
      const db = `otlp_${format}`;
      await createTopic(admin, topic, 1);
      await createTopic(admin, dlq, 1);
      const pick = (x: { proto: Uint8Array; json: Uint8Array }) =>
        Buffer.from(format === 'otlp_proto' ? x.proto : x.json);
      const traces = llmSpans(
        [
          { requestId: `${format}-s1`, ts: T0, code: '1310' },
          { requestId: `${format}-s2`, ts: T0 + 1_000, code: null },
        ],
        KEY,
      );
      const logs = await envelopeLogs([
        {
          ts: T0 + 2_000,
          status: 429,
          request_id: `${format}-l1`,
          key_id: 'new-api-token-3',
          error: { code: '1308', message: 'Usage limit reached' },
        },
        { ts: 'yesterday', status: 500, error: 'x' },
      ]);
      await producer.send({
        topic,
        messages: [{ value: pick(traces) }, { value: Buffer.from('this is not OTLP') }, { value: pick(logs) }],
      });
      const w = spawnIngest(['--format', format, '--topic', topic, '--dlq-topic', dlq, '--group', group], {
        KAFKA_BROKERS: kafkaBrokers.join(','),
        CHDB_PATH: dataDir.path,
        CLICKHOUSE_DATABASE: db,
      });
      try {
        await waitFor('worker caught up', () => caughtUp(admin, group, topic), 120_000);
      } finally {
        expect(await w.stop(), w.output()).toBe(0);
      }
      const dead = await readDeadLetters(kafka, dlq, 2);
      expect([...dead.keys()].sort()).toEqual(['0:1', '0:2']);
      expect(dead.get('0:1')!.reason).toMatch(new RegExp(`^${format}: not an OTLP export request`));
      expect(dead.get('0:2')!.reason).toMatch(/^otlp: 1 of 3 records rejected/);

      client = await createStoreClient(parseConfig({ CHDB_PATH: dataDir.path, CLICKHOUSE_DATABASE: db }));
      const rs = await client.query({
        query: `SELECT request_id, code, category, key_fp, kafka_offset, toUnixTimestamp64Milli(ts) AS ts
                FROM ${db}.errors_v2 ORDER BY ts`,
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([
        {
          request_id: `${format}-s1`,
          code: '1310',
          category: 'quota',
          key_fp: fingerprintKey(KEY),
          kafka_offset: 0,
          ts: T0,
        },
        {
          request_id: `${format}-l1`,
          code: '1308',
          category: 'quota',
          key_fp: 'new-api-token-3',
          kafka_offset: 2,
          ts: T0 + 2_000,
        },
      ]);
      const total = await client.query({
        query: `SELECT sum(calls) AS n FROM ${db}.calls_1m_v2`,
        format: 'JSONEachRow',
      });
      expect(Number((await total.json<{ n: number }>())[0]!.n)).toBe(3);
      await client.close();
      client = null;
    },
  );
});
