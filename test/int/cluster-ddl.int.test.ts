// No cluster runs here: every statement `migrate` would send with CLICKHOUSE_CLUSTER set is rendered
// and parsed by the embedded engine (formatQuery), which fails on any syntax it does not accept.
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../services/config.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { distributedStatements, renderForCluster } from '../../services/store/cluster.js';
import {
  defaultMigrationsDir,
  readMigrations,
  renderStatements,
  schemaMigrationsDdl,
} from '../../services/store/migrate.js';
import { tempChdbDir } from '../helpers/chdb.js';

const dataDir = tempChdbDir();
let client: ClickHouseClient;
const cfg = { CLICKHOUSE_DATABASE: 'errorscope', RAW_TTL_DAYS: undefined, CLICKHOUSE_CLUSTER: 'errorscope_cluster' };

beforeAll(async () => {
  client = await createStoreClient(parseConfig({ CHDB_PATH: dataDir.path }));
});
afterAll(async () => {
  await client?.close();
  dataDir.remove();
});

async function parse(statement: string): Promise<string> {
  const rs = await client.query({
    query: 'SELECT formatQuery({q:String}) AS f',
    query_params: { q: statement },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ f: string }>())[0]?.f ?? '';
}

describe('CLICKHOUSE_CLUSTER DDL', () => {
  test('every rendered statement of every migration parses', async () => {
    const statements = [
      renderForCluster(schemaMigrationsDdl(cfg.CLICKHOUSE_DATABASE), cfg.CLICKHOUSE_CLUSTER),
      ...(await readMigrations(defaultMigrationsDir())).flatMap((f) => renderStatements(f.sql, cfg)),
      ...distributedStatements(cfg.CLICKHOUSE_DATABASE, cfg.CLICKHOUSE_CLUSTER),
      renderForCluster(
        `ALTER TABLE errorscope.errors_v2 MODIFY TTL toDateTime(ts) + INTERVAL 7 DAY`,
        cfg.CLICKHOUSE_CLUSTER,
      ),
    ];
    let creates = 0;
    for (const s of statements) {
      const formatted = await parse(s);
      if (/^(CREATE|ALTER|DROP)/.test(s)) {
        creates++;
        expect(formatted, s).toMatch(/ON CLUSTER errorscope_cluster/);
      }
      expect(formatted, s).not.toMatch(/ENGINE = (Aggregating|Replacing)?MergeTree\b/);
    }
    expect(creates).toBeGreaterThan(30);
    // And no single-node table engine survives outside the replicated ones.
    expect(statements.filter((s) => /ENGINE = Replicated/.test(s)).length).toBeGreaterThan(15);
  });
});
