// The query API as a fastify instance built from typed dependencies (no env, no globals), in the
// order fastify's own example app uses: external plugins (swagger, under-pressure, rate limit),
// then app plugins (auth, errors, metrics), then routes. server.ts listens; tests use inject().
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseError } from '@clickhouse/client';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Histogram, Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { OtlpMapOptions } from '../core/otlp.js';
import { TimeInputError } from '../core/timeparse.js';
import { clickhouseIngestRequests, type IngestRequestStore } from '../store/ingest-requests.js';
import { clickhouseQuerier, ping } from '../store/querier.js';
import { InputError } from './dimensions.js';
import { guardFiniteNumbers, methodGuard, notFoundOr405, routeTable } from './guards.js';
import { type IngestDeps, ingestRoute } from './ingest-route.js';
import { insightRoutes } from './insights-routes.js';
import { type KnowledgeOptions, registerKnowledgeMetrics } from './knowledge-metrics.js';
import { otlpRoutes } from './otlp-route.js';
import { type KafkaReadiness, ReadyResponse } from './readiness.js';
import { type CatalogEntry, dataRoutes } from './routes.js';
import { StatusResponse } from './schemas.js';
import { UI_PATHS, uiRoute } from './ui-route.js';

export type ApiConfig = Pick<
  Config,
  'HOST' | 'API_TOKENS' | 'ALLOW_NO_AUTH' | 'RATE_LIMIT_PER_MINUTE' | 'CLICKHOUSE_DATABASE'
> &
  Partial<Pick<Config, 'CLICKHOUSE_CLUSTER'>>;

export interface AppDeps {
  config: ApiConfig;
  client: ClickHouseClient;
  logger: Logger;
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

export class ApiConfigError extends Error {
  override name = 'ApiConfigError';
}

/** Paths anyone may read: probes, metrics, the API description and the overview page (its data calls are not). */
const PUBLIC_PATHS = ['/health', '/ready', '/metrics', '/openapi.json', '/docs', UI_PATHS.assets];

export function isPublicPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === UI_PATHS.page || PUBLIC_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Refuses an open API on a reachable address: tokens, a loopback HOST, or an explicit opt-out. */
export function checkAuthPolicy(cfg: Pick<ApiConfig, 'HOST' | 'API_TOKENS' | 'ALLOW_NO_AUTH'>): void {
  if (cfg.API_TOKENS.length > 0 || isLoopback(cfg.HOST) || cfg.ALLOW_NO_AUTH) return;
  throw new ApiConfigError(
    `HOST=${cfg.HOST} is not a loopback address and API_TOKENS is empty: set API_TOKENS=<token>[,<token>...] ` +
      '(clients send Authorization: Bearer <token>), bind HOST=127.0.0.1, or set ALLOW_NO_AUTH=true to serve without auth',
  );
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time check against every token (no early exit, equal-length digests). */
export function tokenMatcher(tokens: readonly string[]): (presented: string) => boolean {
  const digests = tokens.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const t of digests) ok = timingSafeEqual(t, d) || ok;
    return ok;
  };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1] ?? null;
}

// ClickHouse errors that a request's values can cause (bad casts, limits hit by a huge range).
const INPUT_ERROR_TYPES = new Set([
  'CANNOT_PARSE_TEXT',
  'CANNOT_PARSE_DATETIME',
  'CANNOT_PARSE_NUMBER',
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  'TYPE_MISMATCH',
  'CANNOT_CONVERT_TYPE',
  'ARGUMENT_OUT_OF_BOUND',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'BAD_QUERY_PARAMETER',
  'TOO_MANY_ROWS',
  'TOO_MANY_ROWS_OR_BYTES',
  'TIMEOUT_EXCEEDED',
  'TOO_SLOW',
]);

/**
 * By shape, not instanceof: the embedded engine's connection throws plain Errors with the
 * ClickHouse `code` and `type` (so user-caused query errors were answered 500 on chDB).
 */
function isClickHouseError(err: unknown): err is ClickHouseError {
  if (err instanceof ClickHouseError) return true;
  const e = err as { type?: unknown; code?: unknown } | null;
  return (
    typeof e === 'object' && e !== null && typeof e.type === 'string' && /^[A-Z][A-Z0-9_]+$/.test(e.type) && 'code' in e
  );
}

/** Status and public message for an error; 5xx messages are generic. */
export function classifyError(err: unknown): { status: number; error: string; message: string } {
  if (err instanceof InputError || err instanceof TimeInputError) {
    return { status: 400, error: 'Bad Request', message: err.message };
  }
  if (isClickHouseError(err) && err.type && INPUT_ERROR_TYPES.has(err.type)) {
    return {
      status: 400,
      error: 'Bad Request',
      message: `the query could not run with these parameters (${err.type}): narrow the range, filters or step`,
    };
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return { status: 400, error: 'Bad Request', message: fe.message ?? 'invalid request' };
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, error: httpReason(status), message: fe.message ?? httpReason(status) };
  }
  if (status === 503) return { status, error: 'Service Unavailable', message: 'overloaded, retry later' };
  return { status: 500, error: 'Internal Server Error', message: 'internal error' };
}

function httpReason(status: number): string {
  const reasons: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
  };
  return reasons[status] ?? 'Client Error';
}

/**
 * A validation failure as `<parameter>: <what is wrong>`, naming the allowed values or bounds, e.g.
 * `limit: must be <= 1000` or `dimension: must be one of provider, model, ...`.
 */
export function formatSchemaErrors(
  errors: readonly { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }[],
  dataVar: string,
): Error {
  const parts = errors.map((e) => {
    const name =
      e.instancePath.replace(/^\//, '').replace(/\//g, '.') || (e.params.missingProperty as string) || dataVar;
    const allowed = e.params.allowedValues as unknown[] | undefined;
    const message = allowed ? `must be one of ${allowed.join(', ')}` : (e.message ?? 'is invalid');
    return `${name}: ${message}`;
  });
  return new Error(parts.join('; '));
}

export async function buildApp(deps: AppDeps) {
  const { config, client, logger } = deps;
  checkAuthPolicy(config);
  const now = deps.now ?? Date.now;
  const database = config.CLICKHOUSE_DATABASE;
  // On a cluster the queries read the Distributed tables (services/store/tables.ts).
  const db = clickhouseQuerier(client, { database, cluster: config.CLICKHOUSE_CLUSTER });

  const app = Fastify({
    loggerInstance: logger,
    trustProxy: false,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } },
    schemaErrorFormatter: formatSchemaErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // External plugins.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'errorscope query API',
        description: 'Why LLM API calls fail: series, breakdowns, surges, quota walls, samples, taxonomy.',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(underPressure, {
    maxEventLoopDelay: deps.pressure?.maxEventLoopDelay ?? 2000,
    maxEventLoopUtilization: deps.pressure?.maxEventLoopUtilization ?? 0.98,
    // Over the last sample interval, not since the process started (the default): a busy first
    // minute (backfill, seeding) would otherwise keep the utilization high and shed for long after.
    eventLoopUtilizationMode: 'interval',
    retryAfter: 10,
    exposeStatusRoute: false,
  });
  const matches = tokenMatcher(config.API_TOKENS);
  // Not per route (global: false) but one app-wide onRequest hook added before the auth hook, so a
  // request with a wrong token is counted (per address) before it is answered 401.
  await app.register(rateLimit, {
    global: false,
    max: config.RATE_LIMIT_PER_MINUTE,
    timeWindow: '1 minute',
    allowList: (req) => isPublicPath(req.url),
    // Per valid token (a Grafana server is one client), else per address: made-up tokens must not
    // buy fresh buckets.
    keyGenerator: (req) => {
      const token = bearerToken(req.headers.authorization);
      return token && matches(token) ? `t:${digest(token).toString('hex').slice(0, 16)}` : `ip:${req.ip}`;
    },
  });

  // The guards only read the route table (any logger/type provider); fastify's generics do not unify.
  const plain = app as unknown as FastifyInstance;
  const routes = routeTable(plain);
  app.addHook('onRequest', methodGuard(routes));
  app.addHook('onRequest', app.rateLimit());

  // App plugins: errors, auth, metrics.
  app.setErrorHandler((err, req, reply) => {
    const c = classifyError(err);
    if (c.status >= 500) req.log.error({ err, url: req.url }, 'request failed');
    else if (isClickHouseError(err)) req.log.warn({ err, url: req.url }, 'query rejected');
    if (c.status === 429 || c.status === 503) {
      const retry = reply.getHeader('retry-after');
      if (retry === undefined) reply.header('retry-after', '10');
    }
    return reply.status(c.status).send({ error: c.error, message: c.message });
  });
  app.setNotFoundHandler(notFoundOr405(routes));
  guardFiniteNumbers(plain);

  if (config.API_TOKENS.length > 0) {
    app.addHook('onRequest', async (req, reply) => {
      if (isPublicPath(req.url)) return;
      const token = bearerToken(req.headers.authorization);
      if (!token || !matches(token)) {
        reply.header('www-authenticate', 'Bearer');
        return reply.status(401).send({ error: 'Unauthorized', message: 'send Authorization: Bearer <API token>' });
      }
    });
  } else {
    logger.warn({ host: config.HOST }, 'API_TOKENS is empty: the query API answers without authentication');
  }

  const registry = new Registry();
  const duration = new Histogram({
    name: 'errorscope_api_request_duration_seconds',
    help: 'Query API request duration by route and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  if (deps.knowledgeMetrics !== false) {
    registerKnowledgeMetrics(registry, { db, now, logger, options: deps.knowledgeMetrics });
  }
  app.addHook('onResponse', async (req, reply) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // Routes.
  app.get(
    '/health',
    {
      schema: { summary: 'Liveness (never load-shed)', security: [], response: { 200: StatusResponse } },
      // Liveness says the process answers: shedding it would get a busy instance restarted. Readiness may shed.
      config: { pressureHandler: () => undefined },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: ClickHouse answers (and Kafka ingest consumes, when configured)',
        security: [],
        response: { 200: ReadyResponse, 503: ReadyResponse },
      },
    },
    async (req, reply) => {
      const kafka = deps.kafka ? { kafka: deps.kafka.state() } : {};
      try {
        await ping(db);
      } catch (err) {
        req.log.warn({ err }, 'readiness: ClickHouse does not answer');
        return reply.status(503).send({ status: 'unavailable', ...kafka });
      }
      if (deps.kafka?.notReadyReason()) return reply.status(503).send({ status: 'unavailable', ...kafka });
      return { status: 'ready', ...kafka };
    },
  );
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(dataRoutes, { prefix: '/api/v1', db, now, taxonomy: deps.taxonomy ?? [] });
  await app.register(insightRoutes, { prefix: '/api/v1', db, now });
  if (deps.ingest) {
    const requests = deps.ingest.requests ?? clickhouseIngestRequests(client, database);
    await app.register(ingestRoute, { ...deps.ingest, requests, now });
    const { requests: _unused, ...otlpIngest } = deps.ingest;
    await app.register(otlpRoutes, { ...otlpIngest, now, registry, map: deps.otlp });
  }
  await app.register(uiRoute, { auth: config.API_TOKENS.length > 0 });
  return app;
}
