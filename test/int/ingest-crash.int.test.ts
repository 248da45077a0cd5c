// A worker CHILD PROCESS (`node bin/errorscope.js ingest`) SIGKILLed mid-stream several times, then
// restarted and stopped cleanly: every count exact. The chDB directory is written by one child at a
// time (the next starts only after the previous exited) and read by this process only after the last
// child exited, since the embedded engine binds a directory to one process.
import type { ChildProcess } from 'node:child_process';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../services/config.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { tempChdbDir } from '../helpers/chdb.js';
import { type SpawnedWorker, spawnIngest } from '../helpers/cli-worker.js';
import { counts, expectExact, expectedFor, produceRange, TEST_MAX_BYTES } from '../helpers/ingest-data.js';
import {
  caughtUp,
  committedOffsets,
  createTopic,
  describeKafka,
  fresh,
  kafkaBrokers,
  readDeadLetters,
  waitFor,
} from '../helpers/kafka.js';
import { connectKafka, disconnectKafka } from '../helpers/kafka-clients.js';

const dataDir = tempChdbDir();
const now = Date.now();
const topic = fresh('crash-calls');
const dlq = fresh('crash-dlq');
const group = fresh('crash-group');
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let child: ChildProcess | null = null;
let client: ClickHouseClient | null = null;

function spawnWorker(): SpawnedWorker {
  const w = spawnIngest([], {
    CHDB_PATH: dataDir.path,
    CLICKHOUSE_DATABASE: 'crash',
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_GROUP_ID: group,
    // Fetches of ~65 KiB per partition (~150 messages) and segments of up to 400: a segment spans
    // fetches while there is a backlog, so kills land inside open segments as well as between them.
    INGEST_SEGMENT_MAX: '400',
    INGEST_FETCH_MAX_BYTES_PER_PARTITION: '65536',
    // Killed members leave the group only when their session expires: keep that short.
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    INGEST_MAX_MESSAGE_BYTES: String(TEST_MAX_BYTES),
  });
  child = w.proc;
  return w;
}

async function committedTotal(): Promise<number> {
  let sum = 0;
  for (const [, o] of await committedOffsets(admin, group, topic)) sum += Math.max(o, 0);
  return sum;
}

beforeAll(async () => {
  ({ kafka, admin, producer } = await connectKafka());
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await disconnectKafka({ producer, admin });
  await client?.close();
  dataDir.remove();
});

describeKafka('ingest worker child process killed with SIGKILL', () => {
  it('loses nothing and counts nothing twice across kills and restarts', async () => {
    const n = 8000;
    await createTopic(admin, topic, 3);
    await createTopic(admin, dlq, 1);
    // Every round adds a backlog and keeps producing while the worker runs, so each worker is killed
    // mid-stream and the redelivered batches are longer than the ones inserted before the kill.
    const rounds = 4;
    const chunk = n / (rounds + 1);
    let kills = 0;
    for (let round = 0; round < rounds; round++) {
      await produceRange(producer, topic, round * chunk, round * chunk + chunk / 2, now, 100);
      const start = await committedTotal();
      const w = spawnWorker();
      const producing = produceRange(producer, topic, round * chunk + chunk / 2, (round + 1) * chunk, now, 50);
      // Kill as soon as this worker has committed something: it is then mid-stream, usually mid-batch.
      await waitFor(
        `worker ${round} makes progress`,
        async () => (await committedTotal()) > start || w.proc.exitCode !== null,
        90_000,
        50,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- worker output ---\n${w.output()}`);
      });
      expect(w.proc.exitCode, w.output()).toBeNull();
      w.proc.kill('SIGKILL');
      expect(await w.exited).toBeNull();
      kills++;
      await producing;
    }
    const producing = produceRange(producer, topic, rounds * chunk, n, now, 100);
    const last = spawnWorker();
    await producing;
    await waitFor('last worker caught up', () => caughtUp(admin, group, topic), 120_000);
    last.proc.kill('SIGTERM');
    expect(await last.exited, last.output()).toBe(0);
    expect(kills).toBe(4);

    // Only now does this process open the directory the children wrote.
    client = await createStoreClient(parseConfig({ CHDB_PATH: dataDir.path }));
    const exp = expectedFor(0, n, now);
    const dead = await readDeadLetters(kafka, dlq, exp.poison);
    expectExact(await counts(client, 'crash', topic), exp, dead.size);
  });
});
