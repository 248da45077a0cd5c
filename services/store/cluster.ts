// CLICKHOUSE_CLUSTER: the migrations rendered for a ClickHouse cluster. Pure text substitution on the
// statements of migrations/ (they are written for one node):
// - every CREATE DATABASE / TABLE / MATERIALIZED VIEW, DROP VIEW / TABLE and ALTER TABLE gets
//   ON CLUSTER '<name>';
// - MergeTree-family engines become their Replicated* form with the conventional ZooKeeper path and
//   replica macros, and the replicated deduplication window is set like the non-replicated one
//   (10000 blocks), so a segment's token deduplicates across replicas and a worker may insert
//   through any replica;
// - each table the query API reads gets a Distributed table over it, named <table>_dist.
// Where inserts go: the worker inserts into the local (replicated) tables of one shard, so a replayed
// segment reaches the replicas that remember its token (one shard per consumer group, or a single
// shard with replicas). Reads of a multi-shard deployment go through the _dist tables.
// The carry-over INSERTs of 0010-0012 run on the node `migrate` talks to and replicate from there.

import { READ_TABLES, TABLES } from './tables.js';

const ZK_ARGS = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'";

/** Tables read through Distributed tables on a cluster (the local name + `_dist`, tables.ts readTables). */
const DISTRIBUTED_TABLES: readonly string[] = READ_TABLES.map((t) => TABLES[t]);

function quote(cluster: string): string {
  if (!/^[A-Za-z0-9_.{}-]+$/.test(cluster)) {
    throw new Error(`CLICKHOUSE_CLUSTER '${cluster}': use letters, digits, '_', '-', '.' or a {macro}`);
  }
  return `'${cluster}'`;
}

/** One statement of a migration, rendered for `cluster`. */
export function renderForCluster(statement: string, cluster: string): string {
  const on = ` ON CLUSTER ${quote(cluster)}`;
  let s = statement;
  s = s.replace(
    /^(CREATE\s+(?:DATABASE|TABLE|MATERIALIZED\s+VIEW)\s+IF\s+NOT\s+EXISTS\s+[A-Za-z0-9_.]+)/i,
    (m) => `${m}${on}`,
  );
  s = s.replace(/^(ALTER\s+TABLE\s+[A-Za-z0-9_.]+)/i, (m) => `${m}${on}`);
  s = s.replace(/^(DROP\s+(?:VIEW|TABLE)\s+IF\s+EXISTS\s+[A-Za-z0-9_.]+)/i, (m) => `${m}${on}`);
  s = s.replace(
    /\bENGINE\s*=\s*(Aggregating|Replacing|Summing)?MergeTree\b(\s*\(\s*\))?/g,
    (_m, kind: string | undefined) => `ENGINE = Replicated${kind ?? ''}MergeTree(${ZK_ARGS})`,
  );
  s = s.replace(
    /\bSETTINGS\s+non_replicated_deduplication_window\s*=\s*(\d+)/g,
    (_m, n: string) => `SETTINGS non_replicated_deduplication_window = ${n}, replicated_deduplication_window = ${n}`,
  );
  return s;
}

/** The Distributed tables over the read tables (run after the migrations). */
export function distributedStatements(database: string, cluster: string): string[] {
  const q = quote(cluster);
  return DISTRIBUTED_TABLES.map(
    (t) =>
      `CREATE TABLE IF NOT EXISTS ${database}.${t}_dist ON CLUSTER ${q} AS ${database}.${t} ENGINE = Distributed(${q}, ${database}, ${t}, rand())`,
  );
}
