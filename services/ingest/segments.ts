// Cutting a Kafka partition batch into insert segments, the exactly-once part of ingestion. Pure.
//
// Why not a token from the batch's offset range alone: after a crash the batch redelivered from the
// committed offset can be LONGER than the one inserted before it (more messages arrived meanwhile),
// so its range and its token differ and ClickHouse would count the overlap twice. Instead every
// segment is written to ingest_batches_v1 (the intent) before it is inserted, and a redelivered batch
// is cut on the recorded boundaries first, each recorded segment re-inserted with its recorded token
// (ClickHouse drops the block if it had landed); only the messages past the last recorded segment
// form new segments, each recorded before it is inserted.

import type { SegmentIntent } from '../store/intents.js';

export type { SegmentIntent };

interface PlannedSegment extends SegmentIntent {
  /** True when the segment replays a recorded intent (same boundaries, same token). */
  recorded: boolean;
  /** Index range [start, end) into the batch's messages. */
  start: number;
  end: number;
}

export interface SegmentPlan {
  segments: PlannedSegment[];
  /**
   * Index of the first message left unresolved (`offsets.length` when every message is planned).
   * Less than that when the batch ends inside a recorded segment: inserting the part under the whole
   * segment's token would make ClickHouse drop either the part or, later, the rest of the segment,
   * and a fresh token would count the part twice if the whole segment had landed. So the part is left
   * unresolved and kafkajs fetches it again from the committed offset, normally whole.
   */
  stopAt: number;
  /** Why the plan stopped early, for logs and metrics. */
  stopReason: 'ends-inside-recorded-segment' | null;
  /**
   * True when the batch started strictly inside a recorded segment (only after a manual offset reset
   * into the middle of one): its messages are re-cut as new segments, since nothing can tell whether
   * the recorded segment had landed.
   */
  startedInsideRecorded: boolean;
}

export interface PlanOptions {
  /** Where this fetch started (the committed or resolved offset), normally the first message's offset. */
  fetchedOffset: number;
  /** Offset of the last record of the fetched data, including records kafkajs filtered out. */
  batchLastOffset: number;
  /** INGEST_SEGMENT_MAX: most messages in one new segment (one ClickHouse insert block). */
  maxMessages: number;
  /** Token of a new segment [first, last]. Must be deterministic for the same partition and range. */
  token(first: number, last: number): string;
}

/**
 * Plans the inserts of one partition batch. `offsets` are the batch's message offsets in ascending
 * order; `intents` the recorded segments of this partition that end at or after `fetchedOffset`.
 */
export function planSegments(
  offsets: readonly number[],
  intents: readonly SegmentIntent[],
  opts: PlanOptions,
): SegmentPlan {
  const maxMessages = Math.max(1, Math.floor(opts.maxMessages));
  const recorded = [...intents]
    .filter((i) => i.last >= opts.fetchedOffset)
    .sort((a, b) => a.first - b.first || a.last - b.last);
  const segments: PlannedSegment[] = [];
  let startedInsideRecorded = false;
  let k = 0;
  let i = 0;
  while (i < offsets.length) {
    const o = offsets[i] as number;
    while (k < recorded.length && (recorded[k] as SegmentIntent).last < o) k++;
    const intent = recorded[k];
    if (intent && intent.first <= o) {
      if (intent.first < opts.fetchedOffset) {
        // The fetch began inside this segment: re-cut what we have up to its end as new segments.
        startedInsideRecorded = true;
        const end = takeWhile(offsets, i, maxMessages, (x) => x <= intent.last);
        segments.push(newSegment(offsets, i, end, opts));
        i = end;
        k++;
        continue;
      }
      if (opts.batchLastOffset < intent.last) {
        return { segments, stopAt: i, stopReason: 'ends-inside-recorded-segment', startedInsideRecorded };
      }
      const end = takeWhile(offsets, i, Number.POSITIVE_INFINITY, (x) => x <= intent.last);
      segments.push({ first: intent.first, last: intent.last, token: intent.token, recorded: true, start: i, end });
      i = end;
      k++;
      continue;
    }
    // New messages: a fresh segment that never crosses into the next recorded one.
    const limit = intent ? intent.first : Number.POSITIVE_INFINITY;
    const end = takeWhile(offsets, i, maxMessages, (x) => x < limit);
    segments.push(newSegment(offsets, i, end, opts));
    i = end;
  }
  return { segments, stopAt: offsets.length, stopReason: null, startedInsideRecorded };
}

function takeWhile(offsets: readonly number[], from: number, max: number, ok: (offset: number) => boolean): number {
  let j = from;
  while (j < offsets.length && j - from < max && ok(offsets[j] as number)) j++;
  return j;
}

function newSegment(offsets: readonly number[], start: number, end: number, opts: PlanOptions): PlannedSegment {
  const first = offsets[start] as number;
  const last = offsets[end - 1] as number;
  return { first, last, token: opts.token(first, last), recorded: false, start, end };
}

/** The deduplication token of a Kafka segment: unique per consumer group, topic, partition and range. */
export function kafkaSegmentToken(
  groupId: string,
  topic: string,
  partition: number,
  first: number,
  last: number,
): string {
  return `kafka/${groupId}/${topic}/${partition}/${first}-${last}`;
}

/**
 * Folds newly recorded intents into a partition's cache and forgets those wholly below `committed`
 * (they can never be redelivered unless someone resets the group's offsets, which reloads the cache).
 */
export function mergeIntents(
  cached: readonly SegmentIntent[],
  added: readonly SegmentIntent[],
  committed: number,
): SegmentIntent[] {
  const byFirst = new Map<number, SegmentIntent>();
  for (const i of [...cached, ...added]) if (i.last >= committed) byFirst.set(i.first, i);
  return [...byFirst.values()].sort((a, b) => a.first - b.first);
}
