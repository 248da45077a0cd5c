// /metrics: request durations by route and status, and (when given a store) what errorscope knows
// (services/api/knowledge-metrics.ts). The registry is the caller's, so other parts of the API
// (OTLP ingest counters) publish into the same page.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Histogram, type Registry } from 'prom-client';
import type { Querier } from '../../store/querier.js';
import { type KnowledgeOptions, registerKnowledgeMetrics } from '../knowledge-metrics.js';

export interface MetricsOptions {
  registry: Registry;
  /** Publish the knowledge gauges read from this store; absent: request metrics only. */
  knowledge?: { db: Querier; now: () => number; options?: KnowledgeOptions };
}

export const metrics = fp<MetricsOptions>(
  async (app: FastifyInstance, opts) => {
    const { registry } = opts;
    const duration = new Histogram({
      name: 'errorscope_api_request_duration_seconds',
      help: 'Query API request duration by route and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    if (opts.knowledge) registerKnowledgeMetrics(registry, { ...opts.knowledge, logger: app.log });
    app.addHook('onResponse', async (req, reply) => {
      duration.observe(
        { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'errorscope-metrics' },
);
