// The transport-free ingest core: input lines -> processLine -> rows for the store (errors_v2 + calls_1m_v2), or a rejection
// with its reason. The Kafka worker and the HTTP ingest endpoint both go through it; only where the
// rejected lines end up differs (dead-letter topic, or the reasons in the HTTP answer).
import { processLine } from '../core/index.js';
import { type CallInserter, type StoredCall, storedCall, type Transport } from '../store/calls.js';

export interface IngestInput {
  /** Raw bytes or text of one JSON object; null for a Kafka tombstone. */
  value: Uint8Array | string | null;
  /** Timestamp used when the envelope has none (Kafka message timestamp, request time), epoch ms. */
  fallbackTs: number;
  transport: Transport;
}

export interface Rejection {
  /** Index of the input in the batch. */
  index: number;
  reason: string;
}

export interface ClassifiedBatch {
  rows: StoredCall[];
  rejected: Rejection[];
}

export interface IngestOptions {
  /** INGEST_MAX_MESSAGE_BYTES: larger inputs are rejected as poison. */
  maxBytes: number;
}

/** Classifies a batch. Pure and total: every input is either a row or a rejection, never both. */
export function classifyInputs(inputs: readonly IngestInput[], opts: IngestOptions): ClassifiedBatch {
  const rows: StoredCall[] = [];
  const rejected: Rejection[] = [];
  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index] as IngestInput;
    if (input.value === null) {
      rejected.push({ index, reason: 'empty message (null value)' });
      continue;
    }
    const res = processLine(input.value, { fallbackTs: input.fallbackTs, maxBytes: opts.maxBytes });
    if (res.ok) rows.push(storedCall(res.record, input.transport));
    else rejected.push({ index, reason: res.reason });
  }
  return { rows, rejected };
}

/**
 * classify + insert, for callers without a write-ahead log of their own (HTTP ingest): the rows of one
 * request are one block; pass a token derived from the request (e.g. an Idempotency-Key) to make a
 * retried request count once.
 */
export class IngestCore {
  constructor(
    private readonly inserter: CallInserter,
    private readonly opts: IngestOptions,
  ) {}

  classify(inputs: readonly IngestInput[]): ClassifiedBatch {
    return classifyInputs(inputs, this.opts);
  }

  async ingest(inputs: readonly IngestInput[], token?: string): Promise<ClassifiedBatch> {
    const batch = this.classify(inputs);
    await this.inserter.insertCalls(batch.rows, token);
    return batch;
  }
}

/** Transport metadata for calls that did not come through Kafka. */
export function nonKafkaTransport(src: 'http' | 'backfill'): Transport {
  return { src, kafka_topic: '', kafka_partition: -1, kafka_offset: -1 };
}
