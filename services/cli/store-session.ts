// Opens the store for a command that writes calls: client (server or embedded), migrations applied,
// and the write interfaces. One place, so `start` and `demo --to store` cannot drift apart.
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../config.js';
import { type CallInserter, clickhouseInserter } from '../store/calls.js';
import { createStoreClient } from '../store/clickhouse.js';
import { clickhouseDeadLetters, type DeadLetterInserter } from '../store/dead-letters.js';
import { migrate } from '../store/migrate.js';

export interface StoreSession {
  client: ClickHouseClient;
  calls: CallInserter;
  deadLetters: DeadLetterInserter;
  /** Migration files applied by this open (empty when the schema was current). */
  applied: string[];
  close(): Promise<void>;
}

export async function openStore(config: Config): Promise<StoreSession> {
  const client = await createStoreClient(config);
  try {
    const res = await migrate(client, config);
    return {
      client,
      calls: clickhouseInserter(client, config.CLICKHOUSE_DATABASE),
      deadLetters: clickhouseDeadLetters(client, config.CLICKHOUSE_DATABASE),
      applied: res.applied,
      close: () => client.close(),
    };
  } catch (err) {
    await client.close();
    throw err;
  }
}
