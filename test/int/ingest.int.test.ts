// The ingest worker in-process against the real Kafka broker and the real chDB engine: accounting,
// redelivery, rebalancing between three workers, ClickHouse failures. One chDB directory for this file
// (one per process); every test uses its own database, topic and group.
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../services/config.js';
import { IngestWorker, type WorkerOptions } from '../../services/ingest/worker.js';
import { aggregatingInserter, type BlockInserter, clickhouseInserter } from '../../services/store/calls.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { clickhouseIntents } from '../../services/store/intents.js';
import { migrate } from '../../services/store/migrate.js';
import { tempChdbDir } from '../helpers/chdb.js';
import { counts, expectExact, expectedFor, makeMessage, produceRange, TEST_MAX_BYTES } from '../helpers/ingest-data.js';
import {
  caughtUp,
  committedOffsets,
  createTopic,
  describeKafka,
  fresh,
  readDeadLetters,
  testKafka,
  waitFor,
} from '../helpers/kafka.js';
import { connectKafka, disconnectKafka } from '../helpers/kafka-clients.js';

const dataDir = tempChdbDir();
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const now = Date.now();
let client: ClickHouseClient;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const workers: IngestWorker[] = [];

interface Scenario {
  db: string;
  topic: string;
  dlq: string;
  group: string;
}

async function scenario(partitions: number): Promise<Scenario> {
  const s = { db: fresh('db').replaceAll('-', '_'), topic: fresh('calls'), dlq: fresh('dlq'), group: fresh('group') };
  await migrate(client, parseConfig({ CLICKHOUSE_DATABASE: s.db }));
  await createTopic(admin, s.topic, partitions);
  await createTopic(admin, s.dlq, 1);
  return s;
}

/** Classify threads of the workers the current describe block starts (0: the worker's own thread). */
let classifyThreads = 0;

function worker(s: Scenario, inserter?: BlockInserter, extra: Partial<WorkerOptions> = {}): IngestWorker {
  const w = new IngestWorker(
    {
      kafka: testKafka(fresh('worker')),
      inserter: inserter ?? clickhouseInserter(client, s.db),
      intents: clickhouseIntents(client, s.db),
      log,
    },
    {
      topic: s.topic,
      groupId: s.group,
      dlqTopic: s.dlq,
      maxMessageBytes: TEST_MAX_BYTES,
      segmentMax: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      classifyThreads,
      ...(classifyThreads > 0 ? { concurrency: 4 } : {}),
      ...extra,
    },
  );
  workers.push(w);
  return w;
}

async function stopAll(): Promise<void> {
  await Promise.all(workers.splice(0).map((w) => w.stop().catch(() => {})));
}

async function deadLetterCount(s: Scenario, expected: number): Promise<number> {
  return (await readDeadLetters(kafka, s.dlq, expected)).size;
}

beforeAll(async () => {
  client = await createStoreClient(parseConfig({ CHDB_PATH: dataDir.path }));
  ({ kafka, admin, producer } = await connectKafka());
});

afterAll(async () => {
  await stopAll();
  await disconnectKafka({ producer, admin });
  await client?.close();
  dataDir.remove();
});

// Every case runs twice: classifying on the worker's own thread, and on a classify thread with
// four partition batches at once (the CLI's default).
for (const threads of [0, 1]) {
  describeKafka(`ingest worker (in-process, ${threads ? 'classify thread' : 'main thread'})`, () => {
    beforeAll(() => {
      classifyThreads = threads;
    });

    it('accounts for every produced message exactly once: rows plus dead letters', async () => {
      const s = await scenario(3);
      const n = 3000;
      await produceRange(producer, s.topic, 0, n, now);
      const w = worker(s);
      await w.start();
      await waitFor('worker caught up', () => caughtUp(admin, s.group, s.topic));
      await w.stop();
      const exp = expectedFor(0, n, now);
      expect(exp.poison).toBeGreaterThan(0);
      const dead = await readDeadLetters(kafka, s.dlq, exp.poison);
      expectExact(await counts(client, s.db, s.topic), exp, dead.size);
      // The dead letters carry the reason and the original bytes.
      const sample = [...dead.values()].find((d) => d.value.startsWith('not json'));
      expect(sample?.reason).toMatch(/JSON/i);
      const unknown = await client.query({
        query: `SELECT sum(calls) AS n FROM ${s.db}.unknown_codes_v2`,
        format: 'JSONEachRow',
      });
      expect(Number((await unknown.json<{ n: string }>())[0]?.n)).toBeGreaterThan(0);
    });

    it('a segment spans fetches while there is a backlog, and the consumer caught up commits everything', async () => {
      const s = await scenario(1);
      const n = 2500;
      const segmentMax = 1000;
      const fetchBytes = 65_536;
      await produceRange(producer, s.topic, 0, n, now);
      const w = worker(s, undefined, { segmentMax, maxBytesPerPartition: fetchBytes, maxBytes: fetchBytes });
      await w.start();
      await waitFor('worker caught up', () => caughtUp(admin, s.group, s.topic));
      await w.stop();
      const exp = expectedFor(0, n, now);
      expectExact(await counts(client, s.db, s.topic), exp, (await readDeadLetters(kafka, s.dlq, exp.poison)).size);
      // The recorded segments tile the partition: two full ones (each more bytes than a fetch can hold,
      // so each spans fetches), then the rest, inserted once the consumer had caught up.
      const segments = await clickhouseIntents(client, s.db).load(
        { groupId: s.group, topic: s.topic, partition: 0 },
        0,
      );
      expect(segments.map((g) => [g.first, g.last])).toEqual([
        [0, segmentMax - 1],
        [segmentMax, 2 * segmentMax - 1],
        [2 * segmentMax, n - 1],
      ]);
      let bytes = 0;
      for (let i = 0; i < segmentMax; i++) bytes += Buffer.byteLength(makeMessage(i, now) ?? '');
      expect(bytes).toBeGreaterThan(fetchBytes);
    });

    it('the same messages delivered again (offsets reset to earliest, then group deleted) change no count', async () => {
      const s = await scenario(2);
      await produceRange(producer, s.topic, 0, 1500, now);
      let w = worker(s);
      await w.start();
      await waitFor('first pass caught up', () => caughtUp(admin, s.group, s.topic));
      await w.stop();
      const before = await counts(client, s.db, s.topic);

      // Redelivery with MORE messages behind it than the first pass saw: batches are longer now.
      await admin.resetOffsets({ groupId: s.group, topic: s.topic, earliest: true });
      await produceRange(producer, s.topic, 1500, 2500, now);
      w = worker(s);
      await w.start();
      await waitFor('second pass caught up', () => caughtUp(admin, s.group, s.topic));
      await w.stop();
      const exp = expectedFor(0, 2500, now);
      const second = await counts(client, s.db, s.topic);
      expectExact(second, exp, await deadLetterCount(s, exp.poison));
      expect(second.rows1m).toBeGreaterThan(before.rows1m);

      // A fresh consumer of the same group after its committed offsets were deleted.
      await admin.deleteGroups([s.group]);
      w = worker(s);
      await w.start();
      await waitFor('third pass caught up', () => caughtUp(admin, s.group, s.topic));
      await w.stop();
      expect(await counts(client, s.db, s.topic)).toEqual(second);
    });

    it('three workers on six partitions, one leaving mid-stream: exact counts', async () => {
      const s = await scenario(6);
      const n = 6000;
      const ws = [worker(s), worker(s), worker(s)];
      await Promise.all(ws.map((w) => w.start()));
      const producing = produceRange(producer, s.topic, 0, n, now, 200);
      await waitFor(
        'some progress',
        async () =>
          [...(await committedOffsets(admin, s.group, s.topic)).values()].reduce((a, b) => a + Math.max(b, 0), 0) >
          1000,
      );
      await ws[1]?.stop();
      await producing;
      await waitFor('survivors caught up', () => caughtUp(admin, s.group, s.topic), 90_000);
      await stopAll();
      const exp = expectedFor(0, n, now);
      expectExact(await counts(client, s.db, s.topic), exp, await deadLetterCount(s, exp.poison));
    });

    it('ClickHouse failing for a while: nothing committed meanwhile, exact counts after recovery', async () => {
      const s = await scenario(2);
      const real = clickhouseInserter(client, s.db);
      type Mode = 'fail-before' | 'fail-after-partial' | 'ok';
      const state = { mode: 'fail-before' as Mode, failures: 0 };
      const segmentMax = 300;
      // Every v2 insert, from a block of the worker's own thread or one a classify thread built, is a built block.
      const flaky = aggregatingInserter((built, token) => flakyInsert(() => real.insertBuilt(built, token), token));
      const flakyInsert = async (insert: () => Promise<void>, token: string | undefined) => {
        if (state.mode === 'fail-before') {
          state.failures++;
          throw new Error('injected: ClickHouse unavailable');
        }
        await insert();
        // The insert of a batch's last, partial segment landed but its acknowledgement was lost: the
        // redelivered batch (longer by then) must be cut on the recorded boundary, not anew.
        const [first, last] = (token ?? '').split('/').at(-1)?.split('-').map(Number) ?? [];
        if (
          state.mode === 'fail-after-partial' &&
          first !== undefined &&
          last !== undefined &&
          last - first + 1 < segmentMax
        ) {
          state.failures++;
          throw new Error('injected: connection reset after the insert');
        }
      };
      await produceRange(producer, s.topic, 0, 2000, now);
      const w = worker(s, flaky, { segmentMax, retry: { initialRetryTime: 100, maxRetryTime: 400, retries: 3 } });
      await w.start();
      await waitFor('several failed attempts', () => state.failures >= 4);
      for (const [, offset] of await committedOffsets(admin, s.group, s.topic)) expect(offset).toBe(-1);
      expect((await counts(client, s.db, s.topic)).rows1m).toBe(0);

      state.mode = 'fail-after-partial';
      const failuresBefore = state.failures;
      await waitFor('lost acknowledgements of partial segments', () => state.failures >= failuresBefore + 3);
      await produceRange(producer, s.topic, 2000, 3000, now);

      state.mode = 'ok';
      await waitFor('recovered and caught up', () => caughtUp(admin, s.group, s.topic), 90_000);
      await w.stop();
      const exp = expectedFor(0, 3000, now);
      expectExact(await counts(client, s.db, s.topic), exp, await deadLetterCount(s, exp.poison));
    });
  });
}
