// HTTP ingest requests made with an Idempotency-Key (ingest_requests_v1): the body's hash and the
// answer, so the key means one body.
import type { ClickHouseClient } from '@clickhouse/client';
import { eachRow, insertBlock } from './insert.js';

interface IngestRequest {
  bodySha256: string;
  /** The JSON answer given to the first request. */
  answer: string;
}

export interface IngestRequestStore {
  /** The first recorded use of the key, or null. */
  find(key: string): Promise<IngestRequest | null>;
  record(key: string, req: IngestRequest): Promise<void>;
}

export function clickhouseIngestRequests(client: ClickHouseClient, database: string): IngestRequestStore {
  const table = `${database}.ingest_requests_v1`;
  return {
    async find(key) {
      const rs = await client.query({
        query: `SELECT body_sha256, answer FROM ${table} WHERE idempotency_key = {key:String}
                ORDER BY created_at LIMIT 1`,
        query_params: { key },
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ body_sha256: string; answer: string }>();
      return row ? { bodySha256: row.body_sha256, answer: row.answer } : null;
    },
    async record(key, req) {
      await insertBlock(client, {
        table,
        format: 'JSONEachRow',
        body: eachRow([{ idempotency_key: key, body_sha256: req.bodySha256, answer: req.answer }]),
        rows: 1,
        token: `http:${key}:${req.bodySha256}:request`,
      });
    },
  };
}
