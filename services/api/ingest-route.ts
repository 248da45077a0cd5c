// POST /api/v1/ingest: NDJSON envelopes over HTTP, for users without Kafka (`errorscope start`,
// `ship --to http`, `demo --to http`). Same classification as the Kafka worker; lines that cannot
// become a call are kept as dead letters and reported back with their line numbers and reasons.
// The answer is 2xx only once every row is stored.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { scrubSecrets } from '../core/fingerprint.js';
import { countBeyondRetention } from '../core/retention.js';
import { classifyInputs, nonKafkaTransport } from '../ingest/pipeline.js';
import type { CallInserter, StoredCall } from '../store/calls.js';
import type { DeadLetter, DeadLetterInserter } from '../store/dead-letters.js';

export interface IngestDeps {
  calls: CallInserter;
  deadLetters: DeadLetterInserter;
  now: () => number;
  maxLineBytes: number;
  /** RAW_TTL_DAYS, for counting what the raw errors table drops at insert. */
  rawTtlDays?: number;
}

const MAX_LINES = 100_000;

const IngestResponse = Type.Object(
  {
    accepted: Type.Integer({ description: 'lines stored as calls' }),
    beyond_retention: Type.Object(
      {
        errors: Type.Integer(),
        calls_1m: Type.Integer(),
        calls_1h: Type.Integer(),
        calls_1d: Type.Integer(),
      },
      {
        description:
          "accepted calls already older than each table's retention, which its TTL drops at insert (errors: failed calls past RAW_TTL_DAYS, default 30 days; calls_1m: 14 days; calls_1h: 400 days; calls_1d: 1825 days)",
      },
    ),
    rejected: Type.Array(
      Type.Object({
        line: Type.Integer({ description: '1-based line number in the request body' }),
        reason: Type.String(),
      }),
      { description: 'lines kept as dead letters, with the reason' },
    ),
  },
  { additionalProperties: false },
);

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() });

/** Outcome of one request body, before anything is stored. Pure; exported for tests. */
export function splitBody(
  body: string,
  opts: { now: number; maxLineBytes: number },
): { calls: StoredCall[]; dead: DeadLetter[]; lines: number } {
  const lines = body.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const texts = lines.map((raw) => (raw.endsWith('\r') ? raw.slice(0, -1) : raw));
  const transport = nonKafkaTransport('http');
  const { rows, rejected } = classifyInputs(
    texts.map((value) => ({ value, fallbackTs: opts.now, transport })),
    { maxBytes: opts.maxLineBytes },
  );
  const dead: DeadLetter[] = rejected.map((r) => ({
    src: 'http',
    reason: r.reason,
    // Kept for diagnosis, with every credential in it replaced by its fingerprint.
    raw: scrubSecrets(texts[r.index] ?? ''),
    line: r.index + 1,
    kafka_topic: '',
    kafka_partition: -1,
    kafka_offset: -1,
  }));
  return { calls: rows, dead, lines: texts.length };
}

export const ingestRoute: FastifyPluginAsyncTypebox<IngestDeps> = async (app, deps) => {
  app.addContentTypeParser(
    ['application/x-ndjson', 'application/jsonl', 'text/plain'],
    { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.post(
    '/api/v1/ingest',
    {
      schema: {
        summary: 'Ingest NDJSON envelopes (one API call per line)',
        description:
          'Body: one JSON envelope per line (Content-Type application/x-ndjson). Answers once every good line is ' +
          'stored. An Idempotency-Key header makes a retried request count once.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: IngestResponse, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (req, reply) => {
      if (typeof req.body !== 'string') {
        return reply.code(400).send({
          error: 'Bad Request',
          message: 'send NDJSON with Content-Type: application/x-ndjson (one JSON envelope per line)',
        });
      }
      const { calls, dead, lines } = splitBody(req.body, { now: deps.now(), maxLineBytes: deps.maxLineBytes });
      if (lines > MAX_LINES) {
        return reply.code(400).send({
          error: 'Bad Request',
          message: `${lines} lines in one request; send at most ${MAX_LINES} per request`,
        });
      }
      const key = req.headers['idempotency-key'];
      try {
        await deps.calls.insertCalls(calls, key ? `http:${key}:calls` : undefined);
        await deps.deadLetters.insertDeadLetters(dead, key ? `http:${key}:dead` : undefined);
      } catch (err) {
        req.log.error({ err, lines, accepted: calls.length }, 'ingest: store insert failed');
        return reply.code(503).header('retry-after', '5').send({
          error: 'Service Unavailable',
          message: 'the store did not acknowledge the rows; retry (with the same Idempotency-Key a retry counts once)',
        });
      }
      return {
        accepted: calls.length,
        beyond_retention: countBeyondRetention(calls, deps.now(), deps.rawTtlDays),
        rejected: dead.map((d) => ({ line: d.line, reason: d.reason })),
      };
    },
  );
};
