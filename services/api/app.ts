// The query API as a fastify plugin, built from typed dependencies (no env, no globals), in the order
// fastify's own example app uses: external plugins (swagger, under-pressure, rate limit), then the
// app plugins (validation, errors, auth, metrics), then the routes. server.ts creates the instance and
// listens; another fastify server can register `api` itself, under a prefix or not.
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { OtlpMapOptions } from '../core/otlp.js';
import { clickhouseIngestRequests, type IngestRequestStore } from '../store/ingest-requests.js';
import { clickhouseQuerier, ping } from '../store/querier.js';
import { type IngestDeps, ingestRoute } from './ingest-route.js';
import { insightRoutes } from './insights-routes.js';
import type { KnowledgeOptions } from './knowledge-metrics.js';
import { otlpRoutes } from './otlp-route.js';
import { auth, checkAuthPolicy } from './plugins/auth.js';
import { errors } from './plugins/errors.js';
import { external } from './plugins/external.js';
import { health } from './plugins/health.js';
import { metrics } from './plugins/metrics.js';
import { validation } from './plugins/validation.js';
import type { KafkaReadiness } from './readiness.js';
import { type CatalogEntry, dataRoutes } from './routes.js';
import { uiRoute } from './ui-route.js';

export { ApiConfigError, checkAuthPolicy } from './plugins/auth.js';

type ApiConfig = Pick<
  Config,
  'HOST' | 'API_TOKENS' | 'ALLOW_NO_AUTH' | 'RATE_LIMIT_PER_MINUTE' | 'CLICKHOUSE_DATABASE'
> &
  Partial<Pick<Config, 'CLICKHOUSE_CLUSTER'>>;

export interface ApiOptions {
  config: ApiConfig;
  client: ClickHouseClient;
  /** The taxonomy catalog served at /api/v1/taxonomy (services/core/taxonomy.ts TAXONOMY). */
  taxonomy?: readonly CatalogEntry[];
  /** Clock (tests pin it). */
  now?: () => number;
  /** When given, POST /api/v1/ingest accepts NDJSON envelopes (errorscope start). */
  ingest?: Omit<IngestDeps, 'now' | 'requests'> & { requests?: IngestRequestStore };
  /** Kafka ingest running in this process (errorscope start): /ready reports its state. */
  kafka?: KafkaReadiness;
  /** Load-shedding thresholds (tests lower them); defaults: 2 s event-loop delay, 0.98 utilization. */
  pressure?: { maxEventLoopDelay?: number; maxEventLoopUtilization?: number };
  /** /metrics also publishes what errorscope knows (services/api/knowledge-metrics.ts); false turns it off. */
  knowledgeMetrics?: KnowledgeOptions | false;
  /** With `ingest`: which attributes of OTLP spans/logs name the key and the tenant. */
  otlp?: Partial<OtlpMapOptions>;
}

export async function api(app: FastifyInstance, opts: ApiOptions): Promise<void> {
  const { config, client } = opts;
  checkAuthPolicy(config);
  const now = opts.now ?? Date.now;
  const database = config.CLICKHOUSE_DATABASE;
  // On a cluster the queries read the Distributed tables (services/store/tables.ts).
  const db = clickhouseQuerier(client, { database, cluster: config.CLICKHOUSE_CLUSTER });
  const registry = new Registry();

  await app.register(external, {
    tokens: config.API_TOKENS,
    ratePerMinute: config.RATE_LIMIT_PER_MINUTE,
    pressure: opts.pressure,
  });
  await app.register(validation);
  await app.register(errors);
  // Every request is counted against its rate-limit bucket before auth answers it.
  app.addHook('onRequest', app.rateLimit());
  await app.register(auth, { tokens: config.API_TOKENS, host: config.HOST });
  await app.register(metrics, {
    registry,
    knowledge: opts.knowledgeMetrics === false ? undefined : { db, now, options: opts.knowledgeMetrics },
  });

  await app.register(health, { ping: () => ping(db), kafka: opts.kafka });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(dataRoutes, { prefix: '/api/v1', db, now, taxonomy: opts.taxonomy ?? [] });
  await app.register(insightRoutes, { prefix: '/api/v1', db, now });
  if (opts.ingest) {
    const requests = opts.ingest.requests ?? clickhouseIngestRequests(client, database);
    await app.register(ingestRoute, { ...opts.ingest, requests, now });
    const { requests: _unused, ...otlpIngest } = opts.ingest;
    await app.register(otlpRoutes, { ...otlpIngest, now, registry, map: opts.otlp });
  }
  await app.register(uiRoute, { auth: config.API_TOKENS.length > 0 });
}
