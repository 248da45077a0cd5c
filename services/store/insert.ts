// The one way rows go into ClickHouse. Every insert states its own insert_deduplication_token: the
// embedded engine applies settings as session SETs, so an insert that sent none would run with the
// previous insert's token and be dropped as its duplicate (HTTP dead letters were lost that way).
// A caller with a natural identity for its block (Kafka segment, Idempotency-Key) passes it; any
// other block gets a fresh one, so two identical blocks are both stored: ClickHouse's content-hash
// deduplication (what an empty token means on a table with a deduplication window) never drops a
// block nobody asked to deduplicate.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';

export interface Block {
  /** `database.table` (validated names only). */
  table: string;
  /** Column list; omitted: every column, in the table's order (JSONEachRow names them anyway). */
  columns?: readonly string[];
  format: 'JSONEachRow' | 'JSONCompactEachRow';
  /**
   * The rows, one per line, in `format`: one string, or chunks whose concatenation is the body (a
   * chunk may end mid-row). One stream either way: the embedded engine's connection joins the
   * chunks, a server parses the stream, and max_insert_block_size keeps the rows one block.
   */
  body: string | readonly string[];
  /** The block's identity for deduplication; `fresh` = stored even when an equal block was. */
  token: string | 'fresh';
  /** Number of rows in `body` (keeps the block from being split). */
  rows: number;
  settings?: ClickHouseSettings;
}

/** A token nobody else will ever send. */
function freshToken(prefix = 'once'): string {
  return `${prefix}:${randomUUID()}`;
}

export async function insertBlock(client: ClickHouseClient, block: Block): Promise<void> {
  if (block.rows === 0) return;
  const columns = block.columns ? ` (${block.columns.join(', ')})` : '';
  const res = await client.exec({
    query: `INSERT INTO ${block.table}${columns} FORMAT ${block.format}`,
    values: Readable.from(typeof block.body === 'string' ? [block.body] : block.body),
    clickhouse_settings: {
      ...block.settings,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      // JSON.parse accepts lone surrogate escapes ("\ud800") and JSON.stringify writes them back; by
      // default ClickHouse refuses the whole block for one, which made one such line fail its request
      // (found by the API fuzz step) and would block a Kafka partition. Kept as they are instead.
      input_format_json_throw_on_bad_escape_sequence: 0,
      // A block must stay one block for its token to mean one thing.
      max_insert_block_size: String(Math.max(block.rows, 1_048_576)),
      insert_deduplication_token: block.token === 'fresh' ? freshToken() : block.token,
    },
  });
  res.stream.destroy();
}

/** JSONEachRow body of plain objects. */
export function eachRow(rows: readonly object[]): string {
  let text = '';
  for (const r of rows) text += `${JSON.stringify(r)}\n`;
  return text;
}
