// The third-party plugins, registered first: the OpenAPI document (built from the routes' schemas,
// served at /docs here and at /openapi.json by app.ts), load shedding, and the rate limiter (its hook is placed by
// app.ts, before auth). Shared with the API's context, not encapsulated: the routes after them must
// be seen by swagger and shed by under-pressure.
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken, digest, isPublicPath, tokenMatcher } from './auth.js';

export interface ExternalOptions {
  /** API_TOKENS: a valid token is its own rate-limit bucket. */
  tokens: readonly string[];
  /** RATE_LIMIT_PER_MINUTE, per valid token or else per address. */
  ratePerMinute: number;
  /** Load-shedding thresholds (tests lower them); defaults: 2 s event-loop delay, 0.98 utilization. */
  pressure?: { maxEventLoopDelay?: number; maxEventLoopUtilization?: number };
}

export const external = fp<ExternalOptions>(
  async (app: FastifyInstance, opts) => {
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
      maxEventLoopDelay: opts.pressure?.maxEventLoopDelay ?? 2000,
      maxEventLoopUtilization: opts.pressure?.maxEventLoopUtilization ?? 0.98,
      // Over the last sample interval, not since the process started (the default): a busy first
      // minute (backfill, seeding) would otherwise keep the utilization high and shed for long after.
      eventLoopUtilizationMode: 'interval',
      retryAfter: 10,
      exposeStatusRoute: false,
    });
    const matches = tokenMatcher(opts.tokens);
    const prefix = app.prefix;
    // Not per route (global: false): app.ts adds app.rateLimit() as one hook before the auth hook, so
    // a request with a wrong token is counted (per address) before it is answered 401.
    await app.register(rateLimit, {
      global: false,
      max: opts.ratePerMinute,
      timeWindow: '1 minute',
      allowList: (req) => isPublicPath(req.url, prefix),
      // Per valid token (a Grafana server is one client), else per address: made-up tokens must not
      // buy fresh buckets.
      keyGenerator: (req) => {
        const token = bearerToken(req.headers.authorization);
        return token && matches(token) ? `t:${digest(token).toString('hex').slice(0, 16)}` : `ip:${req.ip}`;
      },
    });
  },
  { name: 'errorscope-external' },
);
