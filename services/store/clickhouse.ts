// ClickHouse adapter: one factory, a server URL or the embedded chDB engine, same SQL either way.
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import type { Config } from '../config.js';

export type StoreConfig = Pick<
  Config,
  'CLICKHOUSE_URL' | 'CLICKHOUSE_USER' | 'CLICKHOUSE_PASSWORD' | 'CLICKHOUSE_DATABASE' | 'CHDB_PATH'
>;

/**
 * The embedded engine binds one data directory per process (libchdb). Asking for a second,
 * different directory in the same process is a programming error, said loudly.
 */
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

let embeddedPath: string | null = null;

export async function createStoreClient(cfg: StoreConfig): Promise<ClickHouseClient> {
  if (cfg.CLICKHOUSE_URL) {
    return createClient({
      url: cfg.CLICKHOUSE_URL,
      username: cfg.CLICKHOUSE_USER,
      password: cfg.CLICKHOUSE_PASSWORD,
      request_timeout: 60_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  }
  const { resolve } = await import('node:path');
  const path = resolve(cfg.CHDB_PATH);
  if (embeddedPath !== null && embeddedPath !== path) {
    throw new Error(`the embedded ClickHouse is already open at ${embeddedPath}; one data directory per process`);
  }
  embeddedPath = path;
  const { createChdbConnection } = await import('chdb/connection');
  // chdb types its Connection against @clickhouse/client-common, the client bundles its own copy of
  // the same interface: identical shapes, two declarations.
  const connection = createChdbConnection({ path }) as unknown as ClientConnection;
  const client = createClient({
    connection,
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  });
  Object.defineProperty(client, EMBEDDED, { value: true });
  return client;
}

// A property rather than a WeakSet of clients: a wrapper (bench api's timing Proxy) still reads it.
const EMBEDDED = Symbol('errorscope.embedded');

/**
 * Whether `client` runs the embedded engine (createStoreClient made it). The engine turns every
 * clickhouse_setting of a query into a session SET run before it (a statement of its own each), where
 * a server takes them as URL parameters: the readers send settings accordingly (querier.ts).
 */
export function isEmbeddedClient(client: ClickHouseClient): boolean {
  return (client as unknown as Record<symbol, unknown>)[EMBEDDED] === true;
}
