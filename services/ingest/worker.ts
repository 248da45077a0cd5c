// The Kafka ingest worker: kafkajs consumer group -> segments -> classifyBatch -> store (v2), poison
// messages to the dead-letter topic, offsets resolved per segment only after ClickHouse (and the
// dead-letter topic) acknowledged, committed by kafkajs after each batch.
//
// Failure policy: any error in a batch (ClickHouse down, dead-letter topic unavailable) is thrown, so
// nothing past the last acknowledged segment is resolved or committed. kafkajs then retries the fetch
// from the last resolved offset with exponential backoff (RETRY) and, when the retries run out,
// restarts the consumer (restartOnFailure), which rejoins the group and resumes from the committed
// offset. Nothing is buffered between attempts: memory is bounded by one fetch (maxBytes).
import { performance } from 'node:perf_hooks';
import {
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  Partitioners,
  type Producer,
  type RetryOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { OtlpMapOptions } from '../core/otlp.js';
import { countBeyondRetention } from '../core/retention.js';
import { type DeadLetterMessage, type DeadLetterSink, kafkaDeadLetters } from '../kafka/dlq.js';
import type { CallInserter } from '../store/calls.js';
import type { IntentStore, PartitionRef } from '../store/intents.js';
import { classifyMessages, type IngestFormat, type IngestInput } from './formats.js';
import type { IngestMetrics } from './metrics.js';
import { kafkaSegmentToken, mergeIntents, planSegments, type SegmentIntent } from './segments.js';

export interface WorkerOptions {
  topic: string;
  groupId: string;
  dlqTopic: string;
  /** INGEST_MAX_MESSAGE_BYTES */
  maxMessageBytes: number;
  /** INGEST_SEGMENT_MAX */
  segmentMax: number;
  /** RAW_TTL_DAYS: the raw errors table's retention, for counting what it drops at insert. */
  rawTtlDays?: number;
  /** Where a group with no committed offset starts (default: the earliest message). */
  fromBeginning?: boolean;
  /** Overrides of the consumer's retry policy (tests shorten it). */
  retry?: Partial<RetryOptions>;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  /** INGEST_FETCH_MAX_BYTES_PER_PARTITION */
  maxBytesPerPartition?: number;
  /** INGEST_FETCH_MAX_BYTES */
  maxBytes?: number;
  /**
   * INGEST_CONCURRENCY: partition batches processed at once (kafkajs partitionsConsumedConcurrently),
   * so batches are classified in JavaScript while others are inserted by ClickHouse's own threads
   * (default 1: see the measurements in config.ts).
   */
  concurrency?: number;
  /** What a message holds (`--format`): an envelope (default) or an OTLP export request. */
  format?: IngestFormat;
  /** OTLP: which attributes name the key and the tenant. */
  otlp?: OtlpMapOptions;
}

export interface WorkerDeps {
  kafka: Kafka;
  inserter: CallInserter;
  intents: IntentStore;
  log: Logger;
  metrics?: IngestMetrics;
  /** Defaults to the dead-letter topic through the worker's own producer. */
  deadLetters?: DeadLetterSink;
}

/**
 * Backoff of a failed batch: 500 ms doubling to 10 s (below the 30 s session timeout, since kafkajs
 * heartbeats only between fetches), 8 tries, then the consumer restarts and rejoins.
 */
const RETRY: RetryOptions = {
  initialRetryTime: 500,
  maxRetryTime: 10_000,
  multiplier: 2,
  factor: 0.2,
  retries: 8,
};

const REBALANCE_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR',
]);

export class IngestWorker {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly deadLetters: DeadLetterSink;
  /** Recorded segments per partition, loaded lazily; dropped on every (re)join and after any failure. */
  private readonly cache = new Map<number, SegmentIntent[]>();
  private crashed: string | null = null;
  /** When the consumer last showed it reaches the broker and makes progress (a fetch, an inserted segment). */
  private progressAt = 0;
  /** The last consumer restart not followed by a fetch yet. */
  private restartFailure: string | null = null;
  /** The last failed batch not followed by an inserted segment yet. */
  private lastFailure: string | null = null;
  private stopping = false;
  private started = false;
  private onFatal: (err: Error) => void = () => {};
  /** Settles when the consumer crashed for good (a non-retriable error): the process should exit. */
  readonly fatal: Promise<Error> = new Promise((resolve) => {
    this.onFatal = resolve;
  });

  constructor(
    private readonly deps: WorkerDeps,
    private readonly opts: WorkerOptions,
  ) {
    const log = deps.log;
    this.consumer = deps.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeout ?? 30_000,
      heartbeatInterval: opts.heartbeatInterval ?? 3_000,
      rebalanceTimeout: 60_000,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1024 * 1024,
      maxBytes: opts.maxBytes ?? 32 * 1024 * 1024,
      allowAutoTopicCreation: false,
      retry: {
        ...RETRY,
        ...opts.retry,
        restartOnFailure: async (err) => {
          log.error(
            { err },
            'consumer failed after retries; restarting it (rejoins the group, resumes from the committed offsets)',
          );
          return true;
        },
      },
    });
    this.producer = deps.kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.deadLetters =
      deps.deadLetters ??
      kafkaDeadLetters(this.producer, opts.dlqTopic, {
        onTruncated: (l, kept, why) => {
          deps.metrics?.deadLettersTruncated.inc({ topic: l.topic });
          log.warn(
            { topic: l.topic, partition: l.partition, offset: l.offset, size: l.value?.byteLength ?? 0, kept, why },
            'dead letter refused as too large; sent a truncated copy with its size and SHA-256',
          );
        },
      });
    const { GROUP_JOIN, CRASH, FETCH } = this.consumer.events;
    this.consumer.on(FETCH, () => {
      this.progressAt = Date.now();
      this.restartFailure = null;
    });
    this.consumer.on(GROUP_JOIN, (e) => {
      this.cache.clear();
      log.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'joined the consumer group');
    });
    this.consumer.on(CRASH, (e) => {
      this.cache.clear();
      this.restartFailure = `consumer restarting: ${e.payload.error.message}`;
      if (!e.payload.restart) {
        this.crashed = e.payload.error.message;
        this.onFatal(e.payload.error);
      }
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: this.opts.fromBeginning ?? true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      partitionsConsumedConcurrently: this.opts.concurrency ?? 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.started = true;
    this.progressAt = Date.now();
  }

  /** Stops fetching, lets the batch in flight finish and commit, leaves the group, closes the producer. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  unhealthyReason(): string | null {
    if (this.crashed) return `consumer crashed: ${this.crashed}`;
    if (this.stopping) return 'stopping';
    if (!this.started) return 'starting';
    return null;
  }

  /**
   * Null when the worker is consuming: started, fetched from the broker within `staleMs` (kafkajs
   * fetches at least every maxWaitTime, 5 s, when idle) and its last batch did not fail. Else why not:
   * the broker is down or unreachable, ClickHouse refuses the inserts, the consumer is restarting.
   */
  notReadyReason(staleMs: number, now = Date.now()): string | null {
    const unhealthy = this.unhealthyReason();
    if (unhealthy) return unhealthy;
    if (this.lastFailure) return this.lastFailure;
    if (this.restartFailure) return this.restartFailure;
    const idle = now - this.progressAt;
    if (idle > staleMs) return `no fetch from the broker for ${Math.round(idle / 1000)} s`;
    return null;
  }

  async handleBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const { log, metrics } = this.deps;
    const t0 = performance.now();
    const ref: PartitionRef = { groupId: this.opts.groupId, topic, partition };
    const messages = batch.messages;
    const offsets = messages.map((m) => Number(m.offset));
    // kafkajs keeps where the fetch started (the resolved/committed offset) on the batch object.
    const fetchedOffset = Number((batch as { fetchedOffset?: string }).fetchedOffset ?? offsets[0]);
    let resolved = fetchedOffset;
    try {
      let intents = this.cache.get(partition);
      if (!intents) {
        intents = await this.deps.intents.load(ref, fetchedOffset);
        this.cache.set(partition, intents);
      }
      const plan = planSegments(offsets, intents, {
        fetchedOffset,
        batchLastOffset: Number(batch.lastOffset()),
        maxMessages: this.opts.segmentMax,
        token: (first, last) => kafkaSegmentToken(this.opts.groupId, topic, partition, first, last),
      });
      const fresh = plan.segments.filter((s) => !s.recorded).map(({ first, last, token }) => ({ first, last, token }));
      if (fresh.length > 0) {
        // Write-ahead: the boundaries are durable before any of these rows reach ClickHouse.
        await this.deps.intents.record(ref, fresh);
        this.cache.set(partition, mergeIntents(intents, fresh, fetchedOffset));
      }
      if (plan.startedInsideRecorded) {
        log.warn(
          { topic, partition, fetchedOffset },
          'fetch started inside a recorded segment (manual offset reset?): re-cut as new segments',
        );
      }
      for (const seg of plan.segments) {
        if (isStale()) break;
        const slice = messages.slice(seg.start, seg.end);
        const inputs: IngestInput[] = slice.map((m) => ({
          value: m.value,
          fallbackTs: Number(m.timestamp),
          transport: { src: 'kafka', kafka_topic: topic, kafka_partition: partition, kafka_offset: Number(m.offset) },
        }));
        const { rows, rejected } = classifyMessages(inputs, this.opts.format ?? 'envelope', {
          maxBytes: this.opts.maxMessageBytes,
          map: this.opts.otlp,
        });
        const stored = rows.length;
        const beyond = metrics && stored > 0 ? countBeyondRetention(rows, Date.now(), this.opts.rawTtlDays) : null;
        await this.deps.inserter.insertCalls(rows, seg.token);
        if (rejected.length > 0) {
          const letters: DeadLetterMessage[] = rejected.map((r) => {
            const m = slice[r.index] as (typeof slice)[number];
            return {
              topic,
              partition,
              offset: Number(m.offset),
              timestamp: m.timestamp,
              key: m.key ?? null,
              value: m.value ?? null,
              reason: r.reason,
            };
          });
          await this.deadLetters.send(letters);
          log.debug({ topic, partition, count: letters.length, first: letters[0]?.reason }, 'dead-lettered');
        }
        resolveOffset(String(seg.last));
        resolved = seg.last + 1;
        this.progressAt = Date.now();
        this.lastFailure = null;
        metrics?.consumed.inc({ topic }, slice.length);
        metrics?.inserted.inc({ topic }, stored);
        if (rejected.length > 0) metrics?.deadLettered.inc({ topic }, rejected.length);
        if (seg.recorded) metrics?.replayedSegments.inc({ topic });
        if (metrics && beyond) {
          for (const [table, n] of Object.entries(beyond)) if (n > 0) metrics.beyondRetention.inc({ topic, table }, n);
        }
        // kafkajs heartbeats only when asked (rate-limited to heartbeatInterval): a long batch must
        // not let the session expire. A rebalance announced here ends the batch after this segment.
        await heartbeat();
      }
      if (plan.stopReason) {
        metrics?.partialWaits.inc({ topic });
        log.warn(
          { topic, partition, fetchedOffset, batchLast: batch.lastOffset(), resumeAt: resolved },
          'batch ends inside a recorded segment; the rest is left unresolved and refetched',
        );
      }
      metrics?.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - resolved));
      metrics?.batchSeconds.observe({ topic }, (performance.now() - t0) / 1000);
    } catch (err) {
      // Cached intents may be stale after a failure (e.g. a rebalance): reload them next time.
      this.cache.clear();
      if (REBALANCE_ERRORS.has((err as { type?: string }).type ?? '')) {
        log.info(
          { topic, partition, resumeAt: resolved, reason: (err as Error).message },
          'rebalance during a batch; the rest is replayed by the next owner',
        );
        throw err;
      }
      metrics?.failures.inc({ topic });
      this.lastFailure = `batch failed: ${(err as Error).message}`;
      log.error(
        { err, topic, partition, offsets: [offsets[0], offsets.at(-1)], resumeAt: resolved },
        'batch failed; not committed past the last inserted segment',
      );
      throw err;
    }
  }
}
