// The store's narrow read interface: every query of the store runs through a Querier, which knows
// the table names to read (tables.ts: local or Distributed) and parses every row against the shape
// the query states (rows.ts). The API and the exporters depend on this, never on the client.
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { isEmbeddedClient } from './clickhouse.js';
import { parseRows, type RowOf, type RowShape } from './rows.js';
import { type ReadTables, readTables } from './tables.js';

export interface Querier {
  /** Qualified names of the tables the queries read. */
  readonly tables: ReadTables;
  /** Runs `sql` with typed `params`; each row is checked against `shape` (RowShapeError otherwise). */
  rows<S extends RowShape>(what: string, sql: string, params: Record<string, unknown>, shape: S): Promise<RowOf<S>[]>;
}

// max_execution_time bounds what one dashboard request may cost; in the SQL, where it is scoped to
// the query on a server and in the embedded engine alike.
const READ_SETTINGS = 'SETTINGS max_execution_time = 30';

export function clickhouseQuerier(client: ClickHouseClient, opts: { database: string; cluster?: string }): Querier {
  const tables = readTables(opts.database, opts.cluster);
  // A server quotes 64-bit integers in JSON by default: numbers as JSON numbers is asked per query (a
  // URL parameter). The embedded engine writes them unquoted already, and each clickhouse_setting
  // costs it a SET statement before the query (the client's default date_time_input_format too: the
  // readers pass whole-second DateTime parameters, which any input format reads), so it gets none.
  const settings: ClickHouseSettings = isEmbeddedClient(client)
    ? { date_time_input_format: undefined }
    : { output_format_json_quote_64bit_integers: 0 };
  return {
    tables,
    async rows<S extends RowShape>(what: string, sql: string, params: Record<string, unknown>, shape: S) {
      const rs = await client.query({
        query: `${sql}\n${READ_SETTINGS}`,
        query_params: params,
        // One document, parsed once (JSONEachRow is parsed row by row and names every column in
        // every row): rows.ts reads the columns by the names in its meta.
        format: 'JSONCompact',
        clickhouse_settings: settings,
      });
      return parseRows(what, await rs.json(), shape);
    },
  };
}

/** Readiness: ClickHouse answers and the schema is there. */
export async function ping(db: Querier): Promise<void> {
  await db.rows('ping', `SELECT 1 AS one FROM ${db.tables.calls1m} LIMIT 1`, {}, { one: 'number' });
}
