// Child process of bench ingest: counts the calls stored in a chDB directory (one chDB directory per
// process, and the bench runs a scenario per directory). Prints one JSON line. Args: dir.
import { parseConfig } from '../services/config.js';
import { createStoreClient } from '../services/store/clickhouse.js';

const client = await createStoreClient(parseConfig({ CHDB_PATH: process.argv[2] as string }));
const rs = await client.query({ query: 'SELECT sum(calls) AS n FROM errorscope.calls_1d_v2', format: 'JSONEachRow' });
const rows = Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
await client.close();
process.stdout.write(`${JSON.stringify({ rows })}\n`);
process.exit(0);
