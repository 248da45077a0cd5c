// Child process of bench ingest: counts the calls stored in a chDB directory (one chDB directory per
// process, and the bench runs a scenario per directory), through the store. Prints one JSON line:
// the calls in the daily rollup, and whether the store is consistent (every rollup counts the same
// calls, no raw error row twice). Args: dir, topic.
import { parseConfig } from '../services/config.js';
import { createStoreClient } from '../services/store/clickhouse.js';
import { clickhouseQuerier } from '../services/store/querier.js';
import { storedTotals } from '../services/store/stats.js';

const cfg = parseConfig({ CHDB_PATH: process.argv[2] as string });
const client = await createStoreClient(cfg);
const t = await storedTotals(
  clickhouseQuerier(client, { database: cfg.CLICKHOUSE_DATABASE }),
  process.argv[3] as string,
);
await client.close();
const consistent = t.rows1m === t.rows1d && t.rows1h === t.rows1d && t.errorsRaw === t.errorsDistinct;
process.stdout.write(`${JSON.stringify({ rows: t.rows1d, consistent, totals: t })}\n`);
process.exit(0);
