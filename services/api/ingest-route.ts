// POST /api/v1/ingest: NDJSON envelopes over HTTP, for users without Kafka (`errorscope start`,
// `ship --to http`, `demo --to http`). Same classification as the Kafka worker; lines that cannot
// become a call are kept as dead letters and reported back with their line numbers and reasons.
// The answer is 2xx only once every row is stored.
//
// Bounds: the body (decoded, when sent with Content-Encoding gzip, deflate or br) is at most
// INGEST_BODY_LIMIT bytes (64 MiB, else 413) and MAX_LINES lines; INGEST_CONCURRENCY (2) requests are
// read and processed at once, the others wait (INGEST_MAX_WAITING, else 503), and the rows go to the
// store in blocks of INGEST_BLOCK_ROWS. Memory is therefore bounded by about 2 x (body + its decoded
// text + one block), whatever the number of concurrent senders.
//
// Idempotency-Key: the key is kept with the SHA-256 of the body and the answer. The same key with the
// same body gets the first answer again (and its rows count once, by their deduplication tokens);
// with another body it is a 422. Without a key nothing is deduplicated: two equal bodies are both
// stored.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { scrubSecrets } from '../core/fingerprint.js';
import { classifyBatch } from '../core/index.js';
import { countBeyondRetention, emptyBeyondRetention, RETENTION_DAYS } from '../core/retention.js';
import type { CallInserter, StoredCall } from '../store/calls.js';
import type { DeadLetter, DeadLetterInserter } from '../store/dead-letters.js';
import type { IngestRequestStore } from '../store/ingest-requests.js';
import { nonKafkaTransport } from '../store/transport.js';
import {
  countLines,
  decoderFor,
  Gate,
  INGEST_BLOCK_ROWS,
  INGEST_BODY_LIMIT,
  INGEST_CONCURRENCY,
  INGEST_MAX_WAITING,
  lineBlocks,
  sha256Hex,
} from './ingest-body.js';

export interface IngestDeps {
  calls: CallInserter;
  deadLetters: DeadLetterInserter;
  /** Idempotency-Key records (ingest_requests_v1). */
  requests: IngestRequestStore;
  now: () => number;
  maxLineBytes: number;
  /** Requests processed at once (default INGEST_CONCURRENCY); tests read `gate.peak`. */
  gate?: Gate;
  /** Rows per insert (default INGEST_BLOCK_ROWS). */
  blockRows?: number;
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
        description: `accepted calls already older than each table's retention, which its TTL drops at insert (errors: failed calls past RAW_TTL_DAYS, default ${RETENTION_DAYS.errors} days; calls_1m: ${RETENTION_DAYS.calls_1m} days; calls_1h: ${RETENTION_DAYS.calls_1h} days; calls_1d: ${RETENTION_DAYS.calls_1d} days)`,
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

const NDJSON_BODY = Type.String({
  description: 'One JSON envelope per line (see the README for the envelope fields).',
  examples: [
    '{"ts":"2026-08-25T07:41:44+08:00","url":"https://open.bigmodel.cn/api/paas/v4/chat/completions","status":429,"body":{"error":{"code":"1310","message":"Weekly/Monthly Limit Exhausted"}}}\n',
  ],
});

export const ingestRoute: FastifyPluginAsyncTypebox<IngestDeps> = async (app, deps) => {
  const gate = deps.gate ?? new Gate(INGEST_CONCURRENCY, INGEST_MAX_WAITING);
  const blockRows = deps.blockRows ?? INGEST_BLOCK_ROWS;
  const inFlight = new Set<string>();
  app.addContentTypeParser(
    ['application/x-ndjson', 'application/jsonl', 'text/plain'],
    { parseAs: 'string', bodyLimit: INGEST_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  app.post(
    '/api/v1/ingest',
    {
      bodyLimit: INGEST_BODY_LIMIT,
      schema: {
        summary: 'Ingest NDJSON envelopes (one API call per line)',
        description:
          'Body: one JSON envelope per line (Content-Type application/x-ndjson, application/jsonl or text/plain), ' +
          'optionally with Content-Encoding gzip, deflate or br; at most 64 MiB decoded and 100000 lines. ' +
          'Answers once every good line is stored; refused lines are kept as dead letters and listed. ' +
          'An Idempotency-Key makes a retry with the same body count once and get the same answer; the same key ' +
          'with another body is refused (422). Without a key every request is stored, equal bodies too.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
        body: {
          content: {
            'application/x-ndjson': { schema: NDJSON_BODY },
            'text/plain': { schema: NDJSON_BODY },
          },
        },
        response: {
          200: IngestResponse,
          400: ErrorBody,
          401: ErrorBody,
          413: ErrorBody,
          409: ErrorBody,
          415: ErrorBody,
          422: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
      // Before the body is read: the gate bounds how many bodies are in memory at once.
      onRequest: async (_req, reply) => {
        const release = await gate.enter();
        if (!release) {
          return reply
            .code(503)
            .header('retry-after', '5')
            .send({
              error: 'Service Unavailable',
              message: `ingest is busy (${gate.max} requests in progress, ${gate.maxWaiting} waiting): retry later`,
            });
        }
        // A sender that gave up while waiting: its response has closed already and would never release.
        if (reply.raw.destroyed || reply.raw.closed) return release();
        // The response's close: sent, or the connection dropped (the request's close comes as soon as its
        // body is read, too early).
        reply.raw.once('close', release);
      },
      preParsing: async (req, _reply, payload) => {
        const decoder = decoderFor(req.headers['content-encoding']);
        return decoder ? payload.pipe(decoder) : payload;
      },
    },
    async (req, reply) => {
      if (typeof req.body !== 'string') {
        return reply.code(415).send({
          error: 'Unsupported Media Type',
          message: 'send NDJSON with Content-Type: application/x-ndjson (one JSON envelope per line)',
        });
      }
      const body = req.body;
      const lines = countLines(body);
      if (lines > MAX_LINES) {
        return reply.code(400).send({
          error: 'Bad Request',
          message: `${lines} lines in one request; send at most ${MAX_LINES} per request`,
        });
      }
      const key = req.headers['idempotency-key'];
      const hash = key ? sha256Hex(body) : '';
      if (key) {
        if (inFlight.has(key)) {
          return reply
            .code(409)
            .header('retry-after', '1')
            .send({
              error: 'Conflict',
              message: `a request with Idempotency-Key '${key}' is in progress: retry once it has been answered`,
            });
        }
        inFlight.add(key);
      }
      try {
        if (key) {
          const first = await deps.requests.find(key);
          if (first && first.bodySha256 !== hash) {
            return reply.code(422).send({
              error: 'Unprocessable Entity',
              message:
                `Idempotency-Key '${key}' was first used with a different body: a retry must send the same body, ` +
                'a new body needs a new key',
            });
          }
          if (first) return reply.header('idempotent-replayed', 'true').send(JSON.parse(first.answer));
        }
        const answer = await store(body, key ? `http:${key}:${hash}` : undefined);
        if (key) await deps.requests.record(key, { bodySha256: hash, answer: JSON.stringify(answer) });
        return answer;
      } catch (err) {
        req.log.error({ err, lines }, 'ingest: store insert failed');
        return reply.code(503).header('retry-after', '5').send({
          error: 'Service Unavailable',
          message: 'the store did not acknowledge the rows; retry (with the same Idempotency-Key a retry counts once)',
        });
      } finally {
        if (key) inFlight.delete(key);
      }
    },
  );

  /** Classifies and stores a body block by block; `token` (from the key and body) makes blocks count once. */
  async function store(body: string, token: string | undefined) {
    const now = deps.now();
    let accepted = 0;
    const beyond = emptyBeyondRetention();
    const rejected: { line: number; reason: string }[] = [];
    const dead: DeadLetter[] = [];
    let n = 0;
    for (const block of lineBlocks(body, blockRows)) {
      const { calls, dead: blockDead } = splitLines(block.lines, block.first, { now, maxLineBytes: deps.maxLineBytes });
      await deps.calls.insertCalls(calls, token ? `${token}:calls:${n}` : undefined);
      accepted += calls.length;
      const b = countBeyondRetention(calls, now, deps.rawTtlDays);
      for (const t of Object.keys(beyond) as (keyof typeof beyond)[]) beyond[t] += b[t];
      for (const d of blockDead) {
        dead.push(d);
        rejected.push({ line: d.line, reason: d.reason });
      }
      n++;
    }
    await deps.deadLetters.insertDeadLetters(dead, token ? `${token}:dead` : undefined);
    return { accepted, beyond_retention: beyond, rejected };
  }
};

/** One block of lines (starting at 0-based line `first`) into calls and dead letters. Pure. */
function splitLines(
  texts: readonly string[],
  first: number,
  opts: { now: number; maxLineBytes: number },
): { calls: StoredCall[]; dead: DeadLetter[] } {
  const transport = nonKafkaTransport('http');
  const { rows, rejected } = classifyBatch(
    texts.map((value) => ({ value, fallbackTs: opts.now, transport })),
    { maxBytes: opts.maxLineBytes },
  );
  const dead: DeadLetter[] = rejected.map((r) => ({
    src: 'http',
    reason: r.reason,
    // Kept for diagnosis, with every credential in it replaced by its fingerprint.
    raw: scrubSecrets(texts[r.index] ?? ''),
    line: first + r.index + 1,
    kafka_topic: '',
    kafka_partition: -1,
    kafka_offset: -1,
  }));
  return { calls: rows, dead };
}
