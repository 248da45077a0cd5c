// Dead letters that have no Kafka topic to go to (the HTTP ingest endpoint): kept in ClickHouse
// with the reason and the original text.
import type { ClickHouseClient } from '@clickhouse/client';
import { eachRow, insertBlock } from './insert.js';

export interface DeadLetter {
  src: 'http' | 'kafka' | 'backfill';
  reason: string;
  raw: string;
  /** 1-based line number in the request or file, 0 when not applicable. */
  line: number;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

export interface DeadLetterInserter {
  /** One block; with a `token` a retry of the same block counts once, without one it is always stored. */
  insertDeadLetters(rows: DeadLetter[], token?: string): Promise<void>;
}

export function clickhouseDeadLetters(client: ClickHouseClient, database: string): DeadLetterInserter {
  const table = `${database}.dead_letters_v1`;
  return {
    async insertDeadLetters(rows, token) {
      await insertBlock(client, {
        table,
        format: 'JSONEachRow',
        body: eachRow(rows),
        rows: rows.length,
        token: token ?? 'fresh',
      });
    },
  };
}
