// Test data through the real pipeline: the traffic module's exact generator (services/traffic/exact.ts:
// ok traffic, everyday errors, a 1310 surge on chosen keys, quota walls with reset times, unknown codes)
// -> classifyBatch -> clickhouseInserter(...).insertCalls, into a fresh embedded ClickHouse with the
// migrations applied. Shared by the API tests and the Grafana dashboard tests: keep this API stable.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { classifyBatch } from '../../services/core/index.js';
import type { CallRecord, Envelope } from '../../services/core/types.js';
import { type CallInserter, clickhouseInserter } from '../../services/store/calls.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { migrate } from '../../services/store/migrate.js';
import { nonKafkaTransport } from '../../services/store/transport.js';
import { generateEnvelopes, type Seeded, type SeedOptions } from '../../services/traffic/index.js';

/**
 * The real path: the envelopes as NDJSON lines through classifyBatch, then insertCalls in blocks.
 * Returns the stored records (the oracle tests aggregate to compute expected answers).
 */
export async function ingestEnvelopes(
  client: ClickHouseClient,
  database: string,
  envelopes: readonly Envelope[],
  blockSize = 50_000,
  makeInserter: (client: ClickHouseClient, database: string) => CallInserter = clickhouseInserter,
): Promise<CallRecord[]> {
  const inserter = makeInserter(client, database);
  const records: CallRecord[] = [];
  const transport = nonKafkaTransport('backfill');
  for (let start = 0; start < envelopes.length || start === 0; start += blockSize) {
    const lines = envelopes
      .slice(start, start + blockSize)
      .map((env) => ({ value: JSON.stringify(env), fallbackTs: Date.parse(String(env.ts)) }));
    const { rows, rejected } = classifyBatch(lines);
    const bad = rejected[0];
    if (bad) throw new Error(`seed envelope rejected: ${bad.reason}: ${String(lines[bad.index]?.value).slice(0, 200)}`);
    records.push(...rows);
    await inserter.insertCalls(rows.map((r) => ({ ...r, ...transport })));
  }
  return records;
}

export {
  generateEnvelopes,
  type Seeded,
  type SeedKey,
  type SeedOptions,
} from '../../services/traffic/index.js';

export interface TestStore {
  client: ClickHouseClient;
  database: string;
  dir: string;
  close(): Promise<void>;
}

/** A fresh embedded ClickHouse in a temp dir with the migrations applied (one per test file). */
export async function openTestStore(database = 'errorscope_test'): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'errorscope-api-'));
  const client = await createStoreClient({
    CHDB_PATH: dir,
    CLICKHOUSE_DATABASE: database,
    CLICKHOUSE_URL: undefined,
    CLICKHOUSE_USER: 'default',
    CLICKHOUSE_PASSWORD: '',
  });
  await migrate(client, { CLICKHOUSE_DATABASE: database, RAW_TTL_DAYS: undefined });
  return {
    client,
    database,
    dir,
    async close() {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Convenience: generate, ingest, return both. */
export async function seed(store: TestStore, opts: SeedOptions): Promise<Seeded & { records: CallRecord[] }> {
  const seeded = generateEnvelopes(opts);
  const records = await ingestEnvelopes(store.client, store.database, seeded.envelopes);
  return { ...seeded, records };
}
