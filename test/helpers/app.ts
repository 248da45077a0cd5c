// The query API as the integration tests build it: buildApp over a test store with what every test
// shares (loopback, bearer tokens, a rate limit no test reaches, a silent logger). Each test passes its
// own tokens, clock and options.
import type { ClickHouseClient } from '@clickhouse/client';
import type { InjectOptions } from 'fastify';
import { pino } from 'pino';
import { type AppDeps, buildApp } from '../../services/api/server.js';
import { clickhouseInserter } from '../../services/store/calls.js';
import { clickhouseDeadLetters } from '../../services/store/dead-letters.js';
import { waitFor } from './kafka.js';

export type TestApp = Awaited<ReturnType<typeof buildApp>>;

export interface TestAppOptions extends Omit<AppDeps, 'config' | 'client' | 'logger'> {
  client: ClickHouseClient;
  database: string;
  /** API_TOKENS (default none). */
  tokens?: string[];
  /** RATE_LIMIT_PER_MINUTE (default 1,000,000). */
  rateLimitPerMinute?: number;
  /** pino level (default silent). */
  logLevel?: string;
}

export function testApp({
  client,
  database,
  tokens = [],
  rateLimitPerMinute = 1_000_000,
  logLevel = 'silent',
  ...deps
}: TestAppOptions): Promise<TestApp> {
  return buildApp({
    config: {
      HOST: '127.0.0.1',
      API_TOKENS: tokens,
      ALLOW_NO_AUTH: false,
      RATE_LIMIT_PER_MINUTE: rateLimitPerMinute,
      CLICKHOUSE_DATABASE: database,
    },
    client,
    logger: pino({ level: logLevel }),
    ...deps,
  });
}

/** POST /api/v1/ingest into the store `database` (lines up to 1 MiB), plus `more`. */
export function storeIngest(
  client: ClickHouseClient,
  database: string,
  more: Partial<NonNullable<AppDeps['ingest']>> = {},
): NonNullable<AppDeps['ingest']> {
  return {
    calls: clickhouseInserter(client, database),
    deadLetters: clickhouseDeadLetters(client, database),
    maxLineBytes: 1_048_576,
    ...more,
  };
}

/**
 * @fastify/under-pressure answers 503 "retry later" while its last event-loop sample is saturated, which
 * the embedded engine's work on the main thread can cause on a busy machine. A client retries that
 * (bounded), as Grafana does: so each request tests the endpoint, not the sampler.
 */
export async function injectUnshed(app: TestApp, req: InjectOptions, timeoutMs = 60_000) {
  let res = await app.inject(req);
  await waitFor(
    `${req.method ?? 'GET'} ${req.url} not shed (503)`,
    async () => {
      if (res.statusCode !== 503) return true;
      res = await app.inject(req);
      return res.statusCode !== 503;
    },
    timeoutMs,
  );
  return res;
}

/** Waits (bounded) until under-pressure lets requests through: /health answers 200. */
export async function untilUnshed(app: TestApp): Promise<void> {
  await waitFor(
    'the API is not under pressure',
    async () => (await app.inject('/health')).statusCode === 200,
    30_000,
    100,
  );
}
