// Cutting a partition's messages into insert segments, the exactly-once part of ingestion. Pure.
//
// A segment is a run of consecutive messages of one partition inserted as one block under one
// deduplication token. It may span several fetches: the worker keeps it open (aggregating what it
// has classified) while the partition has a backlog, and inserts it when it is full, when the
// consumer has caught up, or when it has been open long enough. Its offsets are committed only after
// it landed, so a crash loses nothing but the open segment's work, which is fetched again.
//
// Why not a token from the offset range alone: after a crash the messages redelivered from the
// committed offset can run LONGER than the segment inserted before it (more arrived meanwhile), so a
// range-derived token would differ and ClickHouse would count the overlap twice. Instead every
// segment is written to ingest_batches_v1 (the intent) before it is inserted, and redelivered
// messages are cut on the recorded boundaries first, each recorded segment re-inserted with its
// recorded token (ClickHouse drops the block if it had landed); only the messages past the last
// recorded segment form new segments, each recorded before it is inserted.

import type { SegmentIntent } from '../store/intents.js';

export type { SegmentIntent };

/** The segment being filled, carried from one batch of its partition to the next. */
export interface OpenSegment {
  /** First offset of the segment (a recorded one's recorded first offset). */
  first: number;
  /** Offset of the last message taken so far (first - 1 before any). */
  last: number;
  /** Messages taken so far. */
  count: number;
  /** Set when the segment replays a recorded one: it ends where that one ended, with its token. */
  intent: SegmentIntent | null;
}

/** Messages [start, end) of the batch belong to `segment`. */
export interface Piece {
  start: number;
  end: number;
  segment: OpenSegment;
  /** The segment is whole once this piece is added: insert it. */
  complete: boolean;
  /** Why it is whole: `full` (INGEST_SEGMENT_MAX), `boundary` (a recorded segment follows), `recorded` (a replay reached its recorded end). */
  closed: 'full' | 'boundary' | 'recorded' | null;
}

export interface Cut {
  pieces: Piece[];
  /** The segment left open at the end of the batch (the last piece's, when not complete). */
  open: OpenSegment | null;
  /**
   * True when the fetch started strictly inside a recorded segment (only after a manual offset reset
   * into the middle of one): its messages are re-cut as new segments, since nothing can tell whether
   * the recorded segment had landed.
   */
  startedInsideRecorded: boolean;
}

export interface CutOptions {
  /** Where this fetch started (the resolved or committed offset), normally the first message's offset. */
  fetchedOffset: number;
  /** Offset of the last record of the fetched data, including records kafkajs filtered out. */
  batchLastOffset: number;
  /** INGEST_SEGMENT_MAX: most messages in one new segment (one ClickHouse insert block). */
  maxMessages: number;
}

/**
 * Cuts one partition batch into pieces of segments, continuing `open` (the segment the previous batch
 * of this partition left open, whose next message is the batch's first). `offsets` are the batch's
 * message offsets in ascending order; `intents` the recorded segments of this partition that end at
 * or after where its consumption started.
 */
export function cutBatch(
  offsets: readonly number[],
  intents: readonly SegmentIntent[],
  open: OpenSegment | null,
  opts: CutOptions,
): Cut {
  const maxMessages = Math.max(1, Math.floor(opts.maxMessages));
  const from = open ? open.first : opts.fetchedOffset;
  const recorded = intents.filter((i) => i.last >= from).sort((a, b) => a.first - b.first || a.last - b.last);
  const pieces: Piece[] = [];
  let startedInsideRecorded = false;
  let seg = open;
  let i = 0;
  // A carried segment takes at least one (maybe empty) piece, so it is completed or carried on.
  while (i < offsets.length || (seg && pieces.length === 0)) {
    if (!seg) {
      const o = offsets[i] as number;
      const r = recorded.find((x) => x.first <= o && o <= x.last);
      if (r && r.first >= opts.fetchedOffset) seg = { first: r.first, last: r.first - 1, count: 0, intent: r };
      else {
        if (r) startedInsideRecorded = true;
        seg = { first: o, last: o - 1, count: 0, intent: null };
      }
    }
    let end = i;
    let complete: boolean;
    let closed: Piece['closed'] = null;
    if (seg.intent) {
      const stop = seg.intent.last;
      while (end < offsets.length && (offsets[end] as number) <= stop) end++;
      complete = end < offsets.length || opts.batchLastOffset >= stop;
      if (complete) closed = 'recorded';
    } else {
      // A new segment never crosses into a recorded one, and one begun inside a recorded segment (a
      // fetch started there) ends where that one ended.
      const bound = freshBound(recorded, seg.first);
      while (end < offsets.length && seg.count + (end - i) < maxMessages && (offsets[end] as number) <= bound) end++;
      if (seg.count + (end - i) >= maxMessages) closed = 'full';
      else if (end < offsets.length || opts.batchLastOffset >= bound) closed = 'boundary';
      complete = closed !== null;
    }
    if (end > i) {
      seg.count += end - i;
      seg.last = offsets[end - 1] as number;
    }
    pieces.push({ start: i, end, segment: seg, complete, closed });
    i = end;
    if (complete) seg = null;
    else break;
  }
  return { pieces, open: seg, startedInsideRecorded };
}

/** The last offset a new segment starting at `first` may take. */
function freshBound(recorded: readonly SegmentIntent[], first: number): number {
  for (const r of recorded) {
    if (r.first < first && first <= r.last) return r.last;
    if (r.first > first) return r.first - 1;
  }
  return Number.POSITIVE_INFINITY;
}

/** The offset to commit once `seg` has landed: the first one after it. */
export function segmentEnd(seg: OpenSegment): number {
  return (seg.intent ? seg.intent.last : seg.last) + 1;
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
