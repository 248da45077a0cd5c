// The broker going away under a RUNNING worker (the real broker; the worker's network to it is cut:
// every socket destroyed and new connections refused, as when the broker host dies), while producers
// keep writing: /healthz stays 200, /readyz and the metrics say Kafka ingest is not consuming, and
// once the network is back every message is accounted for exactly once.
import { connect, type Socket } from 'node:net';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, ISocketFactory, Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../services/config.js';
import { type KafkaIngest, launchKafkaIngest } from '../../services/ingest/launch.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { migrate } from '../../services/store/migrate.js';
import { tempChdbDir } from '../helpers/chdb.js';
import { counts, expectExact, expectedFor, produceRange, TEST_MAX_BYTES } from '../helpers/ingest-data.js';
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
import { unusedPort } from '../helpers/net.js';

const OUTAGE_MS = 40_000;
const dataDir = tempChdbDir();
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const now = Date.now();
let client: ClickHouseClient;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let ingest: KafkaIngest | null = null;

/** A network switch between the worker and the broker. */
function cuttableNetwork(deadPort: number) {
  let down = false;
  const open = new Set<Socket>();
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const s = connect({ host, port: down ? deadPort : port }, onConnect);
    s.setKeepAlive(true, 60_000);
    open.add(s);
    s.once('close', () => open.delete(s));
    return s;
  };
  return {
    socketFactory,
    cut() {
      down = true;
      for (const s of open) s.destroy(new Error('network cut by the test'));
    },
    restore() {
      down = false;
    },
  };
}

beforeAll(async () => {
  client = await createStoreClient(parseConfig({ CHDB_PATH: dataDir.path }));
  ({ kafka, admin, producer } = await connectKafka());
});

afterAll(async () => {
  await ingest?.stop().catch(() => {});
  await disconnectKafka({ producer, admin });
  await client?.close();
  dataDir.remove();
});

describeKafka('broker outage under a running worker', () => {
  it(`network to the broker cut for ${OUTAGE_MS / 1000} s mid-stream: healthz 200, readyz 503, then exact counts`, async () => {
    const db = fresh('db').replaceAll('-', '_');
    const topic = fresh('outage');
    const dlq = `${topic}-dlq`;
    const group = `${topic}-group`;
    const cfg = parseConfig({
      CLICKHOUSE_DATABASE: db,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_GROUP_ID: group,
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      INGEST_MAX_MESSAGE_BYTES: String(TEST_MAX_BYTES),
      INGEST_SEGMENT_MAX: '150',
      METRICS_PORT: '0',
    });
    await migrate(client, cfg);
    await createTopic(admin, topic, 3);
    const net = cuttableNetwork(await unusedPort());
    const n = 6000;
    await produceRange(producer, topic, 0, 2000, now, 200);
    ingest = await launchKafkaIngest(cfg, client, log, {
      restartOnFatal: true,
      staleMs: 8_000,
      backoff: { initialMs: 500, maxMs: 4_000 },
      kafkaConfig: { socketFactory: net.socketFactory },
    });
    const base = `http://127.0.0.1:${ingest.metricsPort}`;
    await waitFor('readyz 200', async () => (await fetch(`${base}/readyz`)).status === 200, 60_000, 200);
    await waitFor('some progress', async () => {
      const m = await (await fetch(`${base}/metrics`)).text();
      return Number(/^errorscope_ingest_rows_inserted_total\{[^}]*\} (\d+)/m.exec(m)?.[1] ?? 0) > 200;
    });

    const cutAt = Date.now();
    net.cut();
    // The producers do not see the outage: the backlog grows while the worker is cut off.
    const producing = produceRange(producer, topic, 2000, n, now, 100);
    await waitFor('readyz 503', async () => (await fetch(`${base}/readyz`)).status === 503, 30_000, 250);
    const notReady = (await (await fetch(`${base}/readyz`)).json()) as { reason: string };
    const detectedMs = Date.now() - cutAt;
    expect(notReady.reason).toMatch(/kafka ingest/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^errorscope_ingest_kafka_ready 0$/m);
    await producing;
    // Stays down, and stays alive, for the whole outage.
    await waitFor('the outage to last', () => Date.now() - cutAt >= OUTAGE_MS, OUTAGE_MS + 5_000, 1_000);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);

    net.restore();
    const restoredAt = Date.now();
    await waitFor('caught up after the outage', () => caughtUp(admin, group, topic), 120_000, 500);
    const recoveredMs = Date.now() - restoredAt;
    await waitFor('readyz 200 again', async () => (await fetch(`${base}/readyz`)).status === 200, 60_000, 250);
    await ingest.stop();
    ingest = null;

    const exp = expectedFor(0, n, now);
    const dead = await readDeadLetters(kafka, dlq, exp.poison);
    expectExact(await counts(client, db, topic), exp, dead.size);
    process.stderr.write(
      `broker outage: ${n} messages, cut ${OUTAGE_MS / 1000} s, not ready after ${(detectedMs / 1000).toFixed(1)} s, ` +
        `caught up ${(recoveredMs / 1000).toFixed(1)} s after the network came back, counts exact\n`,
    );
  });
});
