// Wires a Kafka ingest worker from configuration: topics ensured, worker started, health and
// metrics served. Shared by `errorscope ingest` and `errorscope start`.
import type { Server } from 'node:http';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createKafka, ensureTopic } from '../kafka/client.js';
import { clickhouseInserter } from '../store/calls.js';
import { clickhouseIntents } from '../store/intents.js';
import { IngestMetrics, serveMetrics } from './metrics.js';
import { IngestWorker } from './worker.js';

export interface LaunchedWorker {
  worker: IngestWorker;
  metricsPort: number;
  /** Settles when the consumer crashed for good. */
  fatal: Promise<Error>;
  /** Stops fetching, finishes and commits the batch in flight, closes the metrics server. */
  stop(): Promise<void>;
}

export async function launchWorker(
  cfg: Config,
  client: ClickHouseClient,
  log: Logger,
  opts: { createPartitions?: number; metricsPort?: number } = {},
): Promise<LaunchedWorker> {
  const kafka = createKafka(cfg, log);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopic(admin, cfg.KAFKA_DLQ_TOPIC, 1);
    if (opts.createPartitions && opts.createPartitions > 0) {
      await ensureTopic(admin, cfg.KAFKA_TOPIC, opts.createPartitions);
    }
  } finally {
    await admin.disconnect();
  }
  const metrics = new IngestMetrics();
  const worker = new IngestWorker(
    {
      kafka,
      inserter: clickhouseInserter(client, cfg.CLICKHOUSE_DATABASE),
      intents: clickhouseIntents(client, cfg.CLICKHOUSE_DATABASE),
      log,
      metrics,
    },
    {
      topic: cfg.KAFKA_TOPIC,
      groupId: cfg.KAFKA_GROUP_ID,
      dlqTopic: cfg.KAFKA_DLQ_TOPIC,
      maxMessageBytes: cfg.INGEST_MAX_MESSAGE_BYTES,
      segmentMax: cfg.INGEST_SEGMENT_MAX,
      maxBytesPerPartition: cfg.INGEST_FETCH_MAX_BYTES_PER_PARTITION,
      maxBytes: cfg.INGEST_FETCH_MAX_BYTES,
      concurrency: cfg.INGEST_CONCURRENCY,
      format: cfg.INGEST_FORMAT,
      otlp: { keyAttribute: cfg.OTLP_KEY_ATTRIBUTE, tenantAttribute: cfg.OTLP_TENANT_ATTRIBUTE },
      sessionTimeout: cfg.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: Math.max(500, Math.floor(cfg.KAFKA_SESSION_TIMEOUT_MS / 10)),
    },
  );
  const served = await serveMetrics(
    metrics,
    { unhealthyReason: () => worker.unhealthyReason() },
    opts.metricsPort ?? cfg.METRICS_PORT,
  );
  const server: Server = served.server;
  try {
    await worker.start();
  } catch (err) {
    server.close();
    await worker.stop().catch(() => {});
    throw err;
  }
  return {
    worker,
    metricsPort: served.port,
    fatal: worker.fatal,
    async stop() {
      await worker.stop();
      server.close();
    },
  };
}
