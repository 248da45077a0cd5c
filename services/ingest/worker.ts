// The Kafka ingest worker: kafkajs consumer group -> segments -> classifyBatch -> store (v2), poison
// messages to the dead-letter topic. A segment (services/ingest/segments.ts) may span fetches: while
// a partition has a backlog its classified messages are aggregated into one open block, resolved (so
// kafkajs fetches on) but not committed; the block is inserted when it is full, when the consumer has
// caught up, or when it has been open long enough, and only once ClickHouse (and the dead-letter
// topic) acknowledged it is the offset after it committed, by the worker.
//
// Failure policy: any error in a batch (ClickHouse down, dead-letter topic unavailable) drops the
// partition's open segment, seeks back to the last commit and is thrown, so nothing past the last
// acknowledged segment is committed. kafkajs then retries the fetch with exponential backoff (RETRY)
// and, when the retries run out, restarts the consumer (restartOnFailure), which rejoins the group and
// resumes from the committed offsets. Memory is bounded by one fetch (maxBytes) plus the open
// segments' aggregates (INGEST_SEGMENT_MAX_BYTES for all partitions together) plus what each classify
// thread has queued (8 MiB of fetched messages; classify-pool.ts).
//
// Where the work runs: with classify threads (INGEST_THREADS, the CLI's default 1) the main thread
// only fetches, cuts segments, inserts and commits; each segment's messages are classified and
// aggregated on the thread owning its partition (segment-builder.ts, classify-pool.ts), several
// partition batches at once, while segments land one at a time.
import { performance } from 'node:perf_hooks';
import {
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  Partitioners,
  type Producer,
  type RetryOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { OtlpMapOptions } from '../core/otlp.js';
import { type DeadLetterSink, kafkaDeadLetters } from '../kafka/dlq.js';
import type { BlockInserter } from '../store/calls.js';
import type { IntentStore, PartitionRef } from '../store/intents.js';
import { ClassifyPool } from './classify-pool.js';
import type { IngestFormat } from './formats.js';
import type { IngestMetrics } from './metrics.js';
import { inlineBuilder, type SegmentBuilder } from './segment-builder.js';
import {
  cutBatch,
  kafkaSegmentToken,
  mergeIntents,
  type OpenSegment,
  type Piece,
  type SegmentIntent,
  segmentEnd,
} from './segments.js';

export interface WorkerOptions {
  topic: string;
  groupId: string;
  dlqTopic: string;
  /** INGEST_MAX_MESSAGE_BYTES */
  maxMessageBytes: number;
  /** INGEST_SEGMENT_MAX: most messages in one segment (one insert). */
  segmentMax: number;
  /** INGEST_SEGMENT_MAX_MS: a segment open this long while the partition has a backlog is inserted. */
  segmentMaxMs?: number;
  /**
   * INGEST_SEGMENT_MAX_BYTES: when the open segments of all partitions hold this much together (insert
   * bodies and rollup groups), each is inserted at its partition's next batch.
   */
  segmentMaxBytes?: number;
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
   * so batches are classified while a segment of another partition is inserted (default 4 with
   * classify threads, else 1: see the measurements in config.ts).
   */
  concurrency?: number;
  /**
   * INGEST_THREADS: classify threads (classify-pool.ts); 0 classifies on the worker's own thread
   * (the default of the class; the CLI's default is in config.ts).
   */
  classifyThreads?: number;
  /** What a message holds (`--format`): an envelope (default) or an OTLP export request. */
  format?: IngestFormat;
  /** OTLP: which attributes name the key and the tenant. */
  otlp?: OtlpMapOptions;
}

export interface WorkerDeps {
  kafka: Kafka;
  inserter: BlockInserter;
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

type SegmentClose = NonNullable<Piece['closed']> | 'caught_up' | 'age' | 'bytes';

/** A partition's open segment and what its messages become. */
interface OpenBlock {
  segment: OpenSegment;
  builder: SegmentBuilder;
  /** Messages taken (rows, dead letters or skipped). */
  consumed: number;
  openedAt: number;
}

interface PartitionState {
  ref: PartitionRef;
  /** Recorded segments of the partition from where its consumption began. */
  intents: SegmentIntent[];
  open: OpenBlock | null;
  /** Where the open segment begins: the offset last committed (or fetched from at the start). */
  base: number;
  /** The offset the next fetch of the partition starts at. */
  next: number;
}

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
  /**
   * Per assigned partition: its recorded segments (loaded at its first batch) and its open segment.
   * Dropped on every (re)join and for a partition whose batch failed: the next batch then starts again
   * from the last commit, which is where the dropped state began.
   */
  private readonly partitions = new Map<number, PartitionState>();
  private readonly segmentMaxMs: number;
  private readonly segmentMaxBytes: number;
  private readonly pool: ClassifyPool | null;
  private inserting: Promise<void> = Promise.resolve();
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
    this.segmentMaxMs = opts.segmentMaxMs ?? 5_000;
    this.segmentMaxBytes = opts.segmentMaxBytes ?? 32 * 1024 * 1024;
    this.pool =
      (opts.classifyThreads ?? 0) > 0
        ? new ClassifyPool(opts.classifyThreads ?? 0, deps.inserter, {
            segmentMaxBytes: this.segmentMaxBytes,
            maxMessageBytes: opts.maxMessageBytes,
          })
        : null;
    this.consumer = deps.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeout ?? 30_000,
      heartbeatInterval: opts.heartbeatInterval ?? 3_000,
      rebalanceTimeout: 60_000,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 512 * 1024,
      maxBytes: opts.maxBytes ?? 16 * 1024 * 1024,
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
      this.forgetAll();
      log.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'joined the consumer group');
    });
    this.consumer.on(CRASH, (e) => {
      this.forgetAll();
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
      // Offsets are committed by the worker once a segment landed (resolving them only moves the
      // fetch position, so an open segment can span fetches).
      autoCommit: false,
      partitionsConsumedConcurrently: this.opts.concurrency ?? (this.pool ? 4 : 1),
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
    await this.pool?.close();
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

  async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    isStale,
    commitOffsetsIfNecessary,
  }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const { log, metrics } = this.deps;
    const t0 = performance.now();
    const messages = batch.messages;
    const offsets = messages.map((m) => Number(m.offset));
    // kafkajs keeps where the fetch started (the resolved/committed offset) on the batch object.
    const fetchedOffset = Number((batch as { fetchedOffset?: string }).fetchedOffset ?? offsets[0]);
    let state = this.partitions.get(partition);
    if (state && state.next !== fetchedOffset) {
      // kafkajs fetched from elsewhere than where this partition's open segment continues (a seek):
      // the open segment's work is dropped and everything from its start is fetched again.
      log.warn(
        { topic, partition, fetchedOffset, expected: state.next },
        'fetch does not continue the open segment; refetching it',
      );
      this.drop(topic, partition, state);
      return;
    }
    try {
      if (!state) {
        const ref: PartitionRef = { groupId: this.opts.groupId, topic, partition };
        state = {
          ref,
          intents: await this.deps.intents.load(ref, fetchedOffset),
          open: null,
          base: fetchedOffset,
          next: fetchedOffset,
        };
        this.partitions.set(partition, state);
      }
      const batchLastOffset = Number(batch.lastOffset());
      const cut = cutBatch(offsets, state.intents, state.open?.segment ?? null, {
        fetchedOffset,
        batchLastOffset,
        maxMessages: this.opts.segmentMax,
      });
      if (cut.startedInsideRecorded) {
        log.warn(
          { topic, partition, fetchedOffset },
          'fetch started inside a recorded segment (manual offset reset?): re-cut as new segments',
        );
      }
      const commit = (offset: number) =>
        commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: String(offset) }] }] });
      for (const piece of cut.pieces) {
        if (isStale()) {
          state.open?.builder.discard();
          this.partitions.delete(partition);
          return;
        }
        const open = this.fill(state, piece.segment, messages.slice(piece.start, piece.end));
        if (piece.end > piece.start) resolveOffset(String(offsets[piece.end - 1]));
        if (piece.complete) {
          await this.flush(state, open, piece.closed ?? 'full', commit);
          await heartbeat();
        }
      }
      state.next = batchLastOffset + 1;
      // Classify threads: wait while the partition's thread has more than its bound queued.
      await state.open?.builder.settled();
      const open = state.open;
      if (open && !open.segment.intent) {
        // A new segment stays open across fetches while the partition has a backlog (the next fetch
        // comes at once) and is inserted when the consumer catches up, when it has been open
        // INGEST_SEGMENT_MAX_MS, or when the open segments of all partitions hold
        // INGEST_SEGMENT_MAX_BYTES together (each partition's is inserted at its next batch then).
        const closed =
          Number(batch.highWatermark) <= state.next
            ? 'caught_up'
            : Date.now() - open.openedAt >= this.segmentMaxMs
              ? 'age'
              : this.openBytes() >= this.segmentMaxBytes
                ? 'bytes'
                : null;
        if (closed) await this.flush(state, open, closed, commit);
      } else if (open) {
        metrics?.replaySpans.inc({ topic });
      }
      await heartbeat();
      metrics?.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - state.base));
      metrics?.batchSeconds.observe({ topic }, (performance.now() - t0) / 1000);
    } catch (err) {
      // Nothing past the last inserted segment is committed: its open segment is dropped and fetched again.
      if (state) this.drop(topic, partition, state);
      if (REBALANCE_ERRORS.has((err as { type?: string }).type ?? '')) {
        log.info(
          { topic, partition, resumeAt: state?.base, reason: (err as Error).message },
          'rebalance during a batch; the rest is replayed by the next owner',
        );
        throw err;
      }
      metrics?.failures.inc({ topic });
      this.lastFailure = `batch failed: ${(err as Error).message}`;
      log.error(
        { err, topic, partition, offsets: [offsets[0], offsets.at(-1)], resumeAt: state?.base },
        'batch failed; not committed past the last inserted segment',
      );
      throw err;
    }
  }

  /** Adds messages to the partition's open segment (opening it first when `segment` is new). */
  private fill(state: PartitionState, segment: OpenSegment, slice: KafkaMessage[]): OpenBlock {
    let open = state.open;
    if (!open || open.segment !== segment) {
      open?.builder.discard();
      const { topic, partition } = state.ref;
      const o = {
        topic,
        partition,
        format: this.opts.format ?? 'envelope',
        maxMessageBytes: this.opts.maxMessageBytes,
        otlp: this.opts.otlp,
        countBeyond: this.deps.metrics !== undefined,
        rawTtlDays: this.opts.rawTtlDays,
      };
      open = {
        segment,
        builder: this.pool ? this.pool.builder(o) : inlineBuilder(this.deps.inserter, o),
        consumed: 0,
        openedAt: Date.now(),
      };
      state.open = open;
    }
    if (slice.length === 0) return open;
    open.builder.add(slice);
    open.consumed += slice.length;
    return open;
  }

  /**
   * Inserts a whole segment: its intent first when it is new (write-ahead: the boundaries are durable
   * before any of its rows reach ClickHouse), then its block under its token, then its dead letters;
   * only then is the offset after it committed.
   */
  private async flush(
    state: PartitionState,
    open: OpenBlock,
    closed: SegmentClose,
    commit: (offset: number) => Promise<void>,
  ): Promise<void> {
    const { log, metrics } = this.deps;
    const { topic, partition } = state.ref;
    const seg = open.segment;
    let token: string;
    if (seg.intent) token = seg.intent.token;
    else {
      token = kafkaSegmentToken(this.opts.groupId, topic, partition, seg.first, seg.last);
      const intent: SegmentIntent = { first: seg.first, last: seg.last, token };
      await this.deps.intents.record(state.ref, [intent]);
      state.intents = mergeIntents(state.intents, [intent], state.base);
    }
    // Built only once it is this segment's turn: one built block (its insert bodies) at a time.
    const done = await this.oneInsertAtATime(async () => {
      const finished = await open.builder.finish();
      await finished.insert(token);
      return finished;
    });
    if (done.letters.length > 0) {
      await this.deadLetters.send(done.letters);
      log.debug({ topic, partition, count: done.letters.length, first: done.letters[0]?.reason }, 'dead-lettered');
    }
    const end = segmentEnd(seg);
    await commit(end);
    state.base = end;
    state.open = null;
    this.progressAt = Date.now();
    this.lastFailure = null;
    if (metrics) {
      metrics.consumed.inc({ topic }, open.consumed);
      metrics.inserted.inc({ topic }, done.calls);
      if (done.letters.length > 0) metrics.deadLettered.inc({ topic }, done.letters.length);
      metrics.segments.inc({ topic, closed });
      if (seg.intent) metrics.replayedSegments.inc({ topic });
      for (const [table, n] of Object.entries(done.beyond)) if (n > 0) metrics.beyondRetention.inc({ topic, table }, n);
    }
  }

  /** What the open segments of every partition hold together (their insert bodies and rollup groups). */
  private openBytes(): number {
    let bytes = 0;
    for (const p of this.partitions.values()) bytes += p.open?.builder.bytes ?? 0;
    return bytes;
  }

  /**
   * Segments land one at a time, whichever partitions' batches are processed at once: the others go
   * on classifying meanwhile, and the engine holds one insert's buffers, not one per partition.
   */
  private oneInsertAtATime<T>(insert: () => Promise<T>): Promise<T> {
    const run = this.inserting.then(insert, insert);
    this.inserting = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** Forgets every partition's state (a (re)join or a restart: each resumes from its last commit). */
  private forgetAll(): void {
    for (const p of this.partitions.values()) p.open?.builder.discard();
    this.partitions.clear();
  }

  /** Forgets a partition's open segment and fetches again from where it began (the last commit). */
  private drop(topic: string, partition: number, state: PartitionState): void {
    state.open?.builder.discard();
    this.partitions.delete(partition);
    try {
      this.consumer.seek({ topic, partition, offset: String(state.base) });
    } catch {
      // Not running any more (stopping, crashed): it resumes from the committed offset anyway.
    }
  }
}
