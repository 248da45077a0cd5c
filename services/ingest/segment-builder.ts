// What an open segment's messages become before it is inserted: classified and aggregated into one
// block (store/calls.ts), its poison kept as dead letters, what retention drops counted. Built either
// in the worker's own thread (inlineBuilder) or on a classify thread (classify-pool.ts), so the main
// thread only fetches, cuts segments, inserts and commits. Either way the block depends only on the
// segment's messages and their order, so a replayed segment gives the same block and the same token.
import type { KafkaMessage } from 'kafkajs';
import type { OtlpMapOptions } from '../core/otlp.js';
import {
  addBeyondRetention,
  type BeyondRetention,
  countBeyondRetention,
  emptyBeyondRetention,
} from '../core/retention.js';
import type { DeadLetterMessage } from '../kafka/dlq.js';
import type { BlockInserter } from '../store/calls.js';
import { classifyMessages, type IngestFormat, type IngestInput } from './formats.js';

export interface BuilderOptions {
  topic: string;
  partition: number;
  format: IngestFormat;
  /** INGEST_MAX_MESSAGE_BYTES */
  maxMessageBytes: number;
  otlp?: OtlpMapOptions;
  /** Count the calls each table's retention drops at insert (for the metrics). */
  countBeyond: boolean;
  rawTtlDays?: number;
}

/** A segment whose messages are all classified: what it holds, ready to insert under its token. */
export interface FinishedSegment {
  calls: number;
  letters: DeadLetterMessage[];
  beyond: BeyondRetention;
  insert(token: string): Promise<void>;
}

export interface SegmentBuilder {
  /** Adds the next messages of the segment, in offset order. */
  add(messages: readonly KafkaMessage[]): void;
  /** A rough count of the bytes the block holds (as last known), to bound the open segments. */
  readonly bytes: number;
  /** Settles once the messages added so far are within the builder's bound of queued work. */
  settled(): Promise<void>;
  /** Every message added is classified: the block, its dead letters and counts. */
  finish(): Promise<FinishedSegment>;
  /** The segment is dropped (it will be fetched again): forget its work. */
  discard(): void;
}

/** One rejected message, as the builders keep it until the segment is inserted. */
export function deadLetter(
  o: BuilderOptions,
  m: { offset: number; timestamp: string; key: Buffer | null; value: Buffer | null },
  reason: string,
): DeadLetterMessage {
  return { topic: o.topic, partition: o.partition, ...m, reason };
}

/** Classifies one run of a segment's messages: the rows go into `add`, the rejections become letters. */
export function classifyRun(
  o: BuilderOptions,
  inputs: IngestInput[],
  add: (rows: ReturnType<typeof classifyMessages>['rows']) => void,
  letter: (index: number, reason: string) => void,
  beyond: BeyondRetention,
): void {
  const { rows, rejected } = classifyMessages(inputs, o.format, { maxBytes: o.maxMessageBytes, map: o.otlp });
  if (o.countBeyond && rows.length > 0) {
    addBeyondRetention(beyond, countBeyondRetention(rows, Date.now(), o.rawTtlDays));
  }
  add(rows);
  for (const r of rejected) letter(r.index, r.reason);
}

/** The builder of the worker's own thread: classifies as messages are added. */
export function inlineBuilder(inserter: BlockInserter, o: BuilderOptions): SegmentBuilder {
  const block = inserter.block();
  const letters: DeadLetterMessage[] = [];
  const beyond = emptyBeyondRetention();
  return {
    add(messages) {
      if (messages.length === 0) return;
      const inputs: IngestInput[] = messages.map((m) => ({
        value: m.value,
        fallbackTs: Number(m.timestamp),
        transport: { src: 'kafka', kafka_topic: o.topic, kafka_partition: o.partition, kafka_offset: Number(m.offset) },
      }));
      classifyRun(
        o,
        inputs,
        (rows) => block.add(rows),
        (index, reason) => {
          const m = messages[index] as KafkaMessage;
          letters.push(
            deadLetter(
              o,
              { offset: Number(m.offset), timestamp: m.timestamp, key: m.key ?? null, value: m.value ?? null },
              reason,
            ),
          );
        },
        beyond,
      );
    },
    get bytes() {
      return block.bytes;
    },
    settled: async () => {},
    finish: async () => ({
      calls: block.calls,
      letters,
      beyond,
      insert: (token) => block.insert(token),
    }),
    discard() {},
  };
}
