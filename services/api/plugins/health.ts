// The probes: /health says the process answers (never load-shed: shedding it would get a busy
// instance restarted), /ready says ClickHouse answers and, when Kafka ingest runs in this process,
// that it consumes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type KafkaReadiness, ReadyResponse } from '../readiness.js';
import { StatusResponse } from '../schemas.js';

export interface HealthOptions {
  /** Resolves when the store answers, rejects otherwise. */
  ping: () => Promise<unknown>;
  kafka?: KafkaReadiness;
}

export const health: FastifyPluginAsyncTypebox<HealthOptions> = async (app, opts) => {
  app.get(
    '/health',
    {
      schema: { summary: 'Liveness (never load-shed)', security: [], response: { 200: StatusResponse } },
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
      const kafka = opts.kafka ? { kafka: opts.kafka.state() } : {};
      try {
        await opts.ping();
      } catch (err) {
        req.log.warn({ err }, 'readiness: ClickHouse does not answer');
        return reply.status(503).send({ status: 'unavailable', ...kafka });
      }
      if (opts.kafka?.notReadyReason()) return reply.status(503).send({ status: 'unavailable', ...kafka });
      return { status: 'ready', ...kafka };
    },
  );
};
