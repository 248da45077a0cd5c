// Dead letters that have no Kafka topic to go to (the HTTP ingest endpoint): kept in ClickHouse
// with the reason and the original text.
import type { ClickHouseClient } from '@clickhouse/client';

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
  insertDeadLetters(rows: DeadLetter[], token?: string): Promise<void>;
}

export function clickhouseDeadLetters(client: ClickHouseClient, database: string): DeadLetterInserter {
  const table = `${database}.dead_letters_v1`;
  return {
    async insertDeadLetters(rows, token) {
      if (rows.length === 0) return;
      await client.insert({
        table,
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: token ? { insert_deduplication_token: token } : {},
      });
    },
  };
}
