// Runs Kafka ingest from configuration and keeps it running: topics ensured, worker started, health,
// readiness and metrics served. Shared by `errorscope ingest` and `errorscope start`.
//
// The broker being unreachable or the topic missing is a state, not a crash: the attempt is retried
// with back-off (1 s doubling to 30 s) while /healthz stays 200 (the process is fine), /readyz answers
// 503 with the reason, and errorscope_ingest_kafka_state / _ready say the same in /metrics. So
// `errorscope start` keeps its API and HTTP ingest up whatever Kafka does.
import type { Server } from 'node:http';
import type { ClickHouseClient } from '@clickhouse/client';
import type { KafkaConfig } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createKafka, ensureDeadLetterTopic, ensureTopic } from '../kafka/client.js';
import { clickhouseInserter } from '../store/calls.js';
import { clickhouseIntents } from '../store/intents.js';
import { IngestMetrics, serveMetrics } from './metrics.js';
import { IngestWorker } from './worker.js';

type KafkaIngestPhase = 'starting' | 'running' | 'retrying' | 'stopped';

interface KafkaIngestState {
  state: KafkaIngestPhase;
  /** Why the ingest is not consuming, null when it is. */
  reason: string | null;
  /** Failed start attempts since the last successful start. */
  failedAttempts: number;
  /** ISO time of the next attempt while retrying. */
  nextAttemptAt: string | null;
  topic: string;
}

export interface LaunchOptions {
  /** Create the source topic with this many partitions when missing (`--create-topics N`). */
  createPartitions?: number;
  metricsPort?: number;
  /**
   * After the consumer crashed for good (a non-retriable error): true starts it again after the
   * back-off (`start`), false settles `fatal` so the process can exit (`ingest`, under a supervisor).
   */
  restartOnFatal?: boolean;
  /** Back-off between attempts (tests shorten it). */
  backoff?: { initialMs: number; maxMs: number };
  /** Not ready when nothing was fetched for this long (default 30 s). */
  staleMs?: number;
  /** Extra kafkajs client settings (tests route the sockets through a switch to cut the network). */
  kafkaConfig?: Partial<KafkaConfig>;
}

export interface KafkaIngest {
  metricsPort: number;
  state(): KafkaIngestState;
  /** Null when consuming, else why not. */
  notReadyReason(): string | null;
  /** Settles when the consumer crashed for good and restartOnFatal is false. */
  fatal: Promise<Error>;
  /** Stops retrying; stops fetching, finishes and commits the batch in flight; closes the metrics server. */
  stop(): Promise<void>;
}

const START_BACKOFF = { initialMs: 1_000, maxMs: 30_000 };
const STATES: KafkaIngestPhase[] = ['starting', 'running', 'retrying', 'stopped'];

/**
 * Serves health and metrics at once, then starts Kafka ingest in the background (retrying with
 * back-off until it runs). Throws only when the metrics port cannot be bound.
 */
export async function launchKafkaIngest(
  cfg: Config,
  client: ClickHouseClient,
  log: Logger,
  opts: LaunchOptions = {},
): Promise<KafkaIngest> {
  const metrics = new IngestMetrics();
  const backoff = opts.backoff ?? START_BACKOFF;
  const staleMs = opts.staleMs ?? 30_000;
  let phase: KafkaIngestPhase = 'starting';
  let reason: string | null = 'starting';
  let failedAttempts = 0;
  let nextAttemptAt: number | null = null;
  let worker: IngestWorker | null = null;
  let stopping = false;
  let wake: () => void = () => {};
  let onFatal: (err: Error) => void = () => {};
  const fatal = new Promise<Error>((resolve) => {
    onFatal = resolve;
  });

  const setPhase = (p: KafkaIngestPhase, why: string | null) => {
    phase = p;
    reason = why;
    for (const s of STATES) metrics.kafkaState.set({ state: s }, s === p ? 1 : 0);
  };
  setPhase('starting', 'starting');

  const notReadyReason = (): string | null => {
    if (phase !== 'running' || !worker) return `kafka ingest ${phase}: ${reason ?? ''}`.trim();
    const why = worker.notReadyReason(staleMs);
    return why === null ? null : `kafka ingest: ${why}`;
  };
  const state = (): KafkaIngestState => ({
    state: phase,
    reason: phase === 'running' ? (worker?.notReadyReason(staleMs) ?? null) : reason,
    failedAttempts,
    nextAttemptAt: phase === 'retrying' && nextAttemptAt !== null ? new Date(nextAttemptAt).toISOString() : null,
    topic: cfg.KAFKA_TOPIC,
  });
  metrics.readyProbe = () => notReadyReason() === null;

  const served = await serveMetrics(
    metrics,
    {
      unhealthyReason: () => (phase === 'stopped' && !stopping ? `kafka ingest stopped: ${reason}` : null),
      notReadyReason,
      readyDetails: () => ({ kafka: state() }),
    },
    opts.metricsPort ?? cfg.METRICS_PORT,
  );
  const server: Server = served.server;

  async function attempt(): Promise<IngestWorker> {
    const kafka = createKafka(cfg, log, opts.kafkaConfig);
    const admin = kafka.admin();
    await admin.connect();
    try {
      if (opts.createPartitions && opts.createPartitions > 0) {
        await ensureTopic(admin, cfg.KAFKA_TOPIC, opts.createPartitions);
      }
      const limits = await ensureDeadLetterTopic(admin, cfg.KAFKA_DLQ_TOPIC, cfg.KAFKA_TOPIC, log);
      if (limits.dlq < limits.source) {
        log.warn(
          { ...limits },
          'dead-letter topic smaller than the source topic: large poison is dead-lettered truncated',
        );
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
    const w = new IngestWorker(
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
        segmentMaxMs: cfg.INGEST_SEGMENT_MAX_MS,
        segmentMaxBytes: cfg.INGEST_SEGMENT_MAX_BYTES,
        rawTtlDays: cfg.RAW_TTL_DAYS,
        maxBytesPerPartition: cfg.INGEST_FETCH_MAX_BYTES_PER_PARTITION,
        maxBytes: cfg.INGEST_FETCH_MAX_BYTES,
        concurrency: cfg.INGEST_CONCURRENCY,
        classifyThreads: cfg.INGEST_THREADS,
        format: cfg.INGEST_FORMAT,
        otlp: { keyAttribute: cfg.OTLP_KEY_ATTRIBUTE, tenantAttribute: cfg.OTLP_TENANT_ATTRIBUTE },
        sessionTimeout: cfg.KAFKA_SESSION_TIMEOUT_MS,
        heartbeatInterval: Math.max(500, Math.floor(cfg.KAFKA_SESSION_TIMEOUT_MS / 10)),
      },
    );
    try {
      await w.start();
    } catch (err) {
      await w.stop().catch(() => {});
      throw err;
    }
    return w;
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  let stopSignal: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stopSignal = resolve;
  });

  const loop = (async () => {
    let delay = backoff.initialMs;
    while (!stopping) {
      setPhase(failedAttempts === 0 ? 'starting' : 'retrying', reason);
      try {
        worker = await attempt();
      } catch (err) {
        worker = null;
        failedAttempts++;
        metrics.kafkaStartFailures.inc();
        const why = (err as Error).message;
        nextAttemptAt = Date.now() + delay;
        setPhase('retrying', why);
        log.warn(
          { err, topic: cfg.KAFKA_TOPIC, brokers: cfg.KAFKA_BROKERS, failedAttempts, retryInMs: delay },
          'kafka ingest could not start; retrying',
        );
        if (stopping) break;
        await sleep(delay);
        delay = Math.min(delay * 2, backoff.maxMs);
        continue;
      }
      failedAttempts = 0;
      nextAttemptAt = null;
      delay = backoff.initialMs;
      setPhase('running', null);
      log.info({ topic: cfg.KAFKA_TOPIC, group: cfg.KAFKA_GROUP_ID }, 'kafka ingest running');
      const outcome = await Promise.race([worker.fatal, stopped.then(() => null)]);
      if (outcome === null || stopping) break;
      // Crashed for good (kafkajs does not restart it).
      const crashed = worker;
      worker = null;
      await crashed.stop().catch(() => {});
      metrics.kafkaStartFailures.inc();
      failedAttempts++;
      if (!opts.restartOnFatal) {
        setPhase('stopped', outcome.message);
        onFatal(outcome);
        return;
      }
      nextAttemptAt = Date.now() + delay;
      setPhase('retrying', `consumer crashed: ${outcome.message}`);
      log.error({ err: outcome }, 'kafka consumer crashed; restarting it after the back-off');
      await sleep(delay);
      delay = Math.min(delay * 2, backoff.maxMs);
    }
  })();

  return {
    metricsPort: served.port,
    state,
    notReadyReason,
    fatal,
    async stop() {
      stopping = true;
      stopSignal();
      wake();
      await loop;
      // An attempt in flight when stop was called may have left a worker behind.
      const w = worker;
      worker = null;
      if (w) await w.stop();
      setPhase('stopped', 'stopped');
      server.close();
      server.closeIdleConnections();
    },
  };
}
