// The write-ahead record of Kafka batch segments (ingest_batches_v1), see services/ingest/segments.ts.
import type { ClickHouseClient } from '@clickhouse/client';
import { eachRow, insertBlock } from './insert.js';

/** A recorded segment: messages [first, last] of one partition were (or were about to be) inserted with `token`. */
export interface SegmentIntent {
  first: number;
  last: number;
  token: string;
}

export interface PartitionRef {
  groupId: string;
  topic: string;
  partition: number;
}

/** Narrow interface the worker depends on. */
export interface IntentStore {
  /** Recorded segments of one partition that end at or after `from`, ascending by first offset. */
  load(ref: PartitionRef, from: number): Promise<SegmentIntent[]>;
  /** Records segments before they are inserted; resolves once ClickHouse acknowledged the write. */
  record(ref: PartitionRef, intents: readonly SegmentIntent[]): Promise<void>;
}

export function clickhouseIntents(client: ClickHouseClient, database: string): IntentStore {
  const table = `${database}.ingest_batches_v1`;
  return {
    async load(ref, from) {
      const rs = await client.query({
        query: `SELECT first_offset AS first, argMax(last_offset, created_at) AS last, argMax(token, created_at) AS tok
                FROM ${table}
                WHERE group_id = {group:String} AND topic = {topic:String} AND partition = {partition:Int32}
                  AND last_offset >= {from:Int64}
                GROUP BY first_offset
                ORDER BY first_offset`,
        query_params: { group: ref.groupId, topic: ref.topic, partition: ref.partition, from },
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ first: string | number; last: string | number; tok: string }>();
      return rows.map((r) => ({ first: Number(r.first), last: Number(r.last), token: r.tok }));
    },
    async record(ref, intents) {
      await insertBlock(client, {
        table,
        format: 'JSONEachRow',
        rows: intents.length,
        // Each recording is its own fact (a re-recorded segment after a crash must be stored too).
        token: 'fresh',
        body: eachRow(
          intents.map((i) => ({
            group_id: ref.groupId,
            topic: ref.topic,
            partition: ref.partition,
            first_offset: i.first,
            last_offset: i.last,
            token: i.token,
          })),
        ),
      });
    },
  };
}
