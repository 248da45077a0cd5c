// Whole-table figures, for the checks around the queries rather than for dashboards: whether a store
// holds any calls (`start --demo` backfills an empty one), rows per table (bench api's dataset line),
// and the exactly-once totals the ingest proofs compare with what they produced.
import type { ClickHouseClient } from '@clickhouse/client';
import type { Querier } from './querier.js';
import { TABLES } from './tables.js';

/** Calls the daily rollup holds over all time (0 for an empty store). */
export async function countCalls(db: Querier): Promise<number> {
  const [row] = await db.rows('count calls', `SELECT sum(calls) AS n FROM ${db.tables.calls1d}`, {}, { n: 'number' });
  return row?.n ?? 0;
}

/** Rows (parts merged or not) of every table of the current version, by local table name. */
export async function tableRowCounts(client: ClickHouseClient, database: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of Object.values(TABLES)) {
    const rs = await client.query({
      query: `SELECT count() AS n FROM ${database}.${t}`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const [row] = await rs.json<{ n: number }>();
    if (typeof row?.n !== 'number') throw new Error(`row count of ${database}.${t}: got ${JSON.stringify(row)}`);
    out[t] = row.n;
  }
  return out;
}

export interface StoredTotals {
  /** Calls in the 1m, 1h and 1d rollups. */
  rows1m: number;
  rows1h: number;
  rows1d: number;
  /** Raw error rows of the topic, and distinct (partition, offset) among them. */
  errorsRaw: number;
  errorsDistinct: number;
  /** Errors in the 1m, 1h and 1d rollups. */
  errors1m: number;
  errors1h: number;
  errors1d: number;
  /** Latencies counted in the 1m and 1d rollups' histograms, and the 1m rollup's latency_count. */
  hist1m: number;
  hist1d: number;
  latency1m: number;
}

/** What the store holds, summed: rollups over all topics, raw errors of `topic` (one query). */
export async function storedTotals(db: Querier, topic: string): Promise<StoredTotals> {
  const t = db.tables;
  const [row] = await db.rows(
    'stored totals',
    `SELECT
       (SELECT sum(calls) FROM ${t.calls1m}) AS rows1m,
       (SELECT sum(calls) FROM ${t.calls1h}) AS rows1h,
       (SELECT sum(calls) FROM ${t.calls1d}) AS rows1d,
       (SELECT count() FROM ${t.errors} WHERE kafka_topic = {topic:String}) AS errorsRaw,
       (SELECT uniqExact(kafka_partition, kafka_offset) FROM ${t.errors} WHERE kafka_topic = {topic:String}) AS errorsDistinct,
       (SELECT sum(errors) FROM ${t.calls1m}) AS errors1m,
       (SELECT sum(errors) FROM ${t.calls1h}) AS errors1h,
       (SELECT sum(errors) FROM ${t.calls1d}) AS errors1d,
       (SELECT sum(arraySum(latency_hist.2)) FROM ${t.calls1m}) AS hist1m,
       (SELECT sum(arraySum(latency_hist.2)) FROM ${t.calls1d}) AS hist1d,
       (SELECT sum(latency_count) FROM ${t.calls1m}) AS latency1m`,
    { topic },
    {
      rows1m: 'number',
      rows1h: 'number',
      rows1d: 'number',
      errorsRaw: 'number',
      errorsDistinct: 'number',
      errors1m: 'number',
      errors1h: 'number',
      errors1d: 'number',
      hist1m: 'number',
      hist1d: 'number',
      latency1m: 'number',
    },
  );
  if (!row) throw new Error('stored totals: no row');
  return row;
}
