// `errorscope ingest`: the Kafka -> ClickHouse worker. Runs until SIGTERM/SIGINT.
import type { Config } from '../../config.js';
import type { KafkaIngest } from '../../ingest/launch.js';
import {
  createLogger,
  launchWorker,
  openStore,
  runFailed,
  type StopSignal,
  type StoreSession,
  stopSignal,
} from '../boot.js';
import { defineCommand, UsageError } from '../command.js';

const HELP = `usage: errorscope ingest [options]

Consumes LLM call logs (one JSON object per Kafka message, or OTLP with --format) from KAFKA_TOPIC in the consumer group
KAFKA_GROUP_ID, classifies each call and inserts it into ClickHouse exactly once: every batch is cut into
segments recorded in ingest_batches_v1 before they are inserted with a deduplication token, so a crash,
a redelivery or a rebalance never counts a call twice. Messages that can never become a call (not JSON,
not an object, larger than INGEST_MAX_MESSAGE_BYTES, unclassifiable) go to KAFKA_DLQ_TOPIC with the
reason in the 'errorscope-reason' header and the original bytes as value. Offsets are committed only
after ClickHouse and the dead-letter topic acknowledged. When ClickHouse is down nothing is committed;
the worker backs off (0.5 s doubling to 10 s) and resumes. When the broker is unreachable or the topic
missing, it keeps trying (1 s doubling to 30 s): /healthz stays 200, /readyz answers 503 with the
reason. A dead letter the dead-letter topic refuses as too large goes there truncated, with its original
size and SHA-256 in headers. Run several workers with the same group to share the topic's partitions.

options:
  --topic NAME             source topic (KAFKA_TOPIC, default llm-calls)
  --group ID               consumer group (KAFKA_GROUP_ID, default errorscope-ingest)
  --dlq-topic NAME         dead-letter topic (KAFKA_DLQ_TOPIC, default llm-calls-dlq)
  --brokers HOST:PORT,...  bootstrap brokers (KAFKA_BROKERS, default 127.0.0.1:9092)
  --metrics-port PORT      /metrics, /healthz and /readyz (METRICS_PORT, default 9464; 0 = any free port)
  --format FORMAT          what a message of the topic holds (INGEST_FORMAT): envelope (default, one JSON
                           call), otlp_proto or otlp_json (an OpenTelemetry Collector kafka exporter
                           message: an OTLP logs or traces export request; LLM calls are kept, other
                           records skipped). One worker per topic; run one per format.
  --create-topics N        create the source topic with N partitions if missing
                           (the dead-letter topic is always created if missing, 1 partition,
                           taking messages at least as large as the source topic's)
  --no-migrate             do not apply the schema migrations at start (default: apply, idempotent)

Environment: KAFKA_*, INGEST_MAX_MESSAGE_BYTES (default 1 MiB), INGEST_SEGMENT_MAX (messages per insert,
default 100000; a segment spans fetches while there is a backlog), INGEST_SEGMENT_MAX_MS (default 5000),
INGEST_SEGMENT_MAX_BYTES (open segments together, default 32 MiB), INGEST_FETCH_MAX_BYTES_PER_PARTITION
(default 512 KiB), INGEST_FETCH_MAX_BYTES (default 16 MiB per fetch), INGEST_THREADS (classify threads, default
1; 0 classifies on the main thread), INGEST_CONCURRENCY (partition batches in flight, default 4 with classify
threads, else 1), KAFKA_SESSION_TIMEOUT_MS (default 30000: how soon a crashed worker's
partitions move to the others), CLICKHOUSE_URL or CHDB_PATH (embedded engine, default ./data; one process per
directory), CLICKHOUSE_DATABASE, METRICS_PORT, LOG_LEVEL.

Exit codes: 0 stopped by a signal after committing the batch in flight, 1 runtime failure, 2 usage error.
`;

const FLAGS: Record<string, keyof Config> = {
  '--topic': 'KAFKA_TOPIC',
  '--group': 'KAFKA_GROUP_ID',
  '--dlq-topic': 'KAFKA_DLQ_TOPIC',
  '--brokers': 'KAFKA_BROKERS',
  '--metrics-port': 'METRICS_PORT',
  '--format': 'INGEST_FORMAT',
};

export const command = defineCommand({
  name: 'ingest',
  summary: 'the Kafka -> ClickHouse worker',
  help: HELP,
  parse(args) {
    const overrides: Record<string, string> = {};
    let createPartitions = 0;
    let runMigrations = true;
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      const v = args[i + 1];
      const key = FLAGS[a];
      if (key && v !== undefined) {
        overrides[key] = v;
        i++;
      } else if (a === '--create-topics' && v !== undefined && /^[1-9]\d*$/.test(v)) {
        createPartitions = Number(v);
        i++;
      } else if (a === '--no-migrate') {
        runMigrations = false;
      } else {
        throw new UsageError(`unexpected argument '${a}'`);
      }
    }
    return { overrides, createPartitions, runMigrations };
  },
  async run({ createPartitions, runMigrations }, cfg, io) {
    const log = createLogger(cfg, { svc: 'ingest' });
    let store: StoreSession | undefined;
    let launched: KafkaIngest | null = null;
    let stop: StopSignal | undefined;
    try {
      store = await openStore(cfg, { migrate: runMigrations, log });
      stop = stopSignal();
      launched = await launchWorker(cfg, store.client, log, { createPartitions, restartOnFatal: false });
      log.info(
        { topic: cfg.KAFKA_TOPIC, group: cfg.KAFKA_GROUP_ID, metricsPort: launched.metricsPort },
        'ingest worker started (retries until the broker and the topic are there; see /readyz)',
      );
      const outcome = await Promise.race([stop.received, launched.fatal]);
      if (outcome instanceof Error) throw outcome;
      log.info({ signal: outcome }, 'stopping: finishing and committing the batch in flight');
      const stopping = launched;
      launched = null;
      await stopping.stop();
      log.info('stopped');
      return 0;
    } catch (err) {
      return runFailed(io, 'ingest', log, err, 'ingest worker failed', { kafka: cfg });
    } finally {
      stop?.dispose();
      await launched?.stop().catch(() => {});
      await store?.close();
    }
  },
});
