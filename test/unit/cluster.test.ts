// CLICKHOUSE_CLUSTER rendering: ON CLUSTER on every DDL statement, Replicated* engines with the
// replica macros, the replicated deduplication window beside the non-replicated one. The engine's
// own parse of every rendered statement is in test/int/cluster-ddl.int.test.ts.
import { describe, expect, it } from 'vitest';
import { distributedStatements, renderForCluster } from '../../services/store/cluster.js';

const ZK = "('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')";

describe('renderForCluster', () => {
  it.each([
    ['ENGINE = MergeTree', `ENGINE = ReplicatedMergeTree${ZK}`],
    ['ENGINE = AggregatingMergeTree', `ENGINE = ReplicatedAggregatingMergeTree${ZK}`],
    ['ENGINE = ReplacingMergeTree', `ENGINE = ReplicatedReplacingMergeTree${ZK}`],
    ['ENGINE = MergeTree()', `ENGINE = ReplicatedMergeTree${ZK}`],
  ])('%s -> replicated', (engine, replicated) => {
    const out = renderForCluster(`CREATE TABLE IF NOT EXISTS db.t (a UInt8) ${engine} ORDER BY a`, 'main');
    expect(out).toBe(`CREATE TABLE IF NOT EXISTS db.t ON CLUSTER 'main' (a UInt8) ${replicated} ORDER BY a`);
  });

  it('leaves Null and Distributed engines, INSERTs and SELECTs alone', () => {
    expect(renderForCluster('CREATE TABLE IF NOT EXISTS db.t (a UInt8) ENGINE = Null', 'c')).toBe(
      "CREATE TABLE IF NOT EXISTS db.t ON CLUSTER 'c' (a UInt8) ENGINE = Null",
    );
    const insert = 'INSERT INTO db.t SELECT * FROM db.u';
    expect(renderForCluster(insert, 'c')).toBe(insert);
  });

  it('views, databases, ALTERs and DROPs get ON CLUSTER; the replicated window follows the non-replicated one', () => {
    expect(renderForCluster('CREATE MATERIALIZED VIEW IF NOT EXISTS db.v TO db.t AS SELECT 1', 'c')).toBe(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS db.v ON CLUSTER 'c' TO db.t AS SELECT 1",
    );
    expect(renderForCluster('CREATE DATABASE IF NOT EXISTS db', 'c')).toBe(
      "CREATE DATABASE IF NOT EXISTS db ON CLUSTER 'c'",
    );
    expect(renderForCluster('ALTER TABLE db.t MODIFY TTL x', 'c')).toBe("ALTER TABLE db.t ON CLUSTER 'c' MODIFY TTL x");
    expect(renderForCluster('DROP VIEW IF EXISTS db.v', 'c')).toBe("DROP VIEW IF EXISTS db.v ON CLUSTER 'c'");
    expect(renderForCluster('DROP TABLE IF EXISTS db.t', 'c')).toBe("DROP TABLE IF EXISTS db.t ON CLUSTER 'c'");
    expect(renderForCluster('SETTINGS non_replicated_deduplication_window = 10000', 'c')).toBe(
      'SETTINGS non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000',
    );
  });

  it('refuses a cluster name that would need quoting', () => {
    expect(() => renderForCluster('CREATE DATABASE IF NOT EXISTS db', "a'b")).toThrow(/CLICKHOUSE_CLUSTER/);
  });

  it('a Distributed table over each read table', () => {
    const s = distributedStatements('db', 'c');
    expect(s).toContain(
      "CREATE TABLE IF NOT EXISTS db.calls_1m_v2_dist ON CLUSTER 'c' AS db.calls_1m_v2 ENGINE = Distributed('c', db, calls_1m_v2, rand())",
    );
  });
});
