// Table names of the current storage version, stated once (migrations/0010_storage_v2.sql,
// 0011_fleet_rollups_v2.sql and 0012_fleet_rollups_monthly.sql create them), and the names the
// readers use: qualified with the database and, on a ClickHouse cluster (CLICKHOUSE_CLUSTER), the Distributed tables over them
// (`<table>_dist`, created by `migrate`: services/store/cluster.ts). Readers and writers name tables
// through these, never as literals.
import type { Resolution } from '../query/timeparse.js';
import type { Dimension } from './dimensions.js';

export const TABLES = {
  errors: 'errors_v2',
  calls1m: 'calls_1m_v2',
  calls1h: 'calls_1h_v2',
  calls1d: 'calls_1d_v2',
  unknownCodes: 'unknown_codes_v2',
  fleet1m: 'calls_fleet_1m_v3',
  fleet1h: 'calls_fleet_1h_v3',
  fleet1d: 'calls_fleet_1d_v2',
  deadLetters: 'dead_letters_v1',
  ingestBatches: 'ingest_batches_v1',
} as const;

/** The tables the query API reads (each has a Distributed table on a cluster). */
export const READ_TABLES = [
  'errors',
  'calls1m',
  'calls1h',
  'calls1d',
  'fleet1m',
  'fleet1h',
  'fleet1d',
  'unknownCodes',
] as const satisfies readonly (keyof typeof TABLES)[];
export type ReadTable = (typeof READ_TABLES)[number];

/** `database.table` of every read table, as the queries name them. */
export type ReadTables = Readonly<Record<ReadTable, string>>;

/**
 * The names the store's queries read: `<database>.<table>` on one node, `<database>.<table>_dist`
 * with a cluster (a multi-shard cluster's rows are complete only through the Distributed tables).
 * Writes always go to the local tables (see docs/scaling.md, "A ClickHouse cluster").
 */
export function readTables(database: string, cluster = ''): ReadTables {
  const suffix = cluster ? '_dist' : '';
  return Object.fromEntries(READ_TABLES.map((t) => [t, `${database}.${TABLES[t]}${suffix}`])) as Record<
    ReadTable,
    string
  >;
}

/** The keyed rollup holding each resolution. */
const ROLLUP_TABLE = { '1m': 'calls1m', '1h': 'calls1h', '1d': 'calls1d' } as const satisfies Record<
  Resolution,
  ReadTable
>;

/** The fleet rollups (migrations/0011, by month since 0012): the same rows without key_fp and tenant. */
const FLEET_TABLE = { '1m': 'fleet1m', '1h': 'fleet1h', '1d': 'fleet1d' } as const satisfies Record<
  Resolution,
  ReadTable
>;

/**
 * The rollup a query reads: the fleet rollup when none of the dimensions it groups or filters by is
 * key or tenant (fewer rows by about the number of keys), else the keyed one.
 */
export function rollupTable(resolution: Resolution, dims: readonly Dimension[]): ReadTable {
  return dims.some((d) => d === 'key' || d === 'tenant') ? ROLLUP_TABLE[resolution] : FLEET_TABLE[resolution];
}
