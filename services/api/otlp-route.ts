// OTLP/HTTP in: POST /v1/logs and /v1/traces, protobuf (application/x-protobuf) or JSON
// (application/json), optionally gzip. LLM calls (gen_ai.* spans and log records, or log bodies that
// are envelopes) go through the same classification and the same store path as POST /api/v1/ingest
// (classifyBatch in services/core); the rest is skipped and counted. The answer is the standard OTLP
// export response: partial_success with the number of rejected records and why. A retried export
// counts once: the insert's deduplication token is derived from the request body (or an
// Idempotency-Key header).
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { classifyBatch } from '../core/index.js';
import {
  DEFAULT_OTLP_MAP_OPTIONS,
  type OtlpEncoding as Encoding,
  encodeExportResponse,
  encodeRpcStatus,
  OtlpDecodeError,
  type OtlpMapOptions,
  otlpToLines,
  type OtlpSignal as Signal,
} from '../core/otlp.js';
import type { DeadLetter } from '../store/dead-letters.js';
import { nonKafkaTransport } from '../store/transport.js';
import type { IngestDeps } from './ingest-route.js';

export interface OtlpDeps extends Omit<IngestDeps, 'requests'> {
  registry: Registry;
  map?: Partial<OtlpMapOptions>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

const SIGNALS: Record<Signal, { records: string; rejectedField: string }> = {
  logs: { records: 'log records', rejectedField: 'rejectedLogRecords' },
  traces: { records: 'spans', rejectedField: 'rejectedSpans' },
};

export const otlpRoutes: FastifyPluginAsync<OtlpDeps> = async (app, deps) => {
  const map: OtlpMapOptions = { ...DEFAULT_OTLP_MAP_OPTIONS, ...deps.map };
  const records = new Counter({
    name: 'errorscope_otlp_records_total',
    help: 'OTLP log records and spans received, by outcome (stored, rejected, skipped: not an LLM call)',
    labelNames: ['signal', 'outcome'],
    registers: [deps.registry],
  });

  // OTLP bodies are bytes (protobuf, or JSON we must hash and maybe gunzip first): this scope reads
  // every body raw, leaving the rest of the API's parsers alone.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  const send = (reply: FastifyReply, encoding: Encoding, status: number, payload: Uint8Array | object) => {
    if (encoding === 'protobuf') {
      return reply
        .code(status)
        .header('content-type', 'application/x-protobuf')
        .send(Buffer.from(payload as Uint8Array));
    }
    return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(payload));
  };
  const fail = (reply: FastifyReply, encoding: Encoding, status: number, grpcCode: number, message: string) =>
    send(
      reply,
      encoding,
      status,
      encoding === 'protobuf' ? encodeRpcStatus(grpcCode, message) : { code: grpcCode, message },
    );

  for (const signal of ['logs', 'traces'] as const) {
    app.post(`/v1/${signal}`, { schema: { hide: true } }, async (req, reply) => {
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      const encoding: Encoding | null =
        type === 'application/x-protobuf' || type === 'application/protobuf'
          ? 'protobuf'
          : type === 'application/json'
            ? 'json'
            : null;
      if (!encoding) {
        return fail(
          reply,
          'json',
          415,
          3,
          `Content-Type must be application/x-protobuf or application/json, not '${type}'`,
        );
      }
      let body = req.body as Buffer;
      const contentEncoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (contentEncoding === 'gzip') {
        try {
          body = gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES });
        } catch (err) {
          return fail(
            reply,
            encoding,
            400,
            3,
            `Content-Encoding gzip: body does not gunzip (${(err as Error).message})`,
          );
        }
      } else if (contentEncoding !== 'identity') {
        return fail(reply, encoding, 415, 3, `Content-Encoding must be gzip or identity, not '${contentEncoding}'`);
      }

      let mapped: ReturnType<typeof otlpToLines>;
      try {
        mapped = otlpToLines(signal, encoding, body, map);
      } catch (err) {
        if (err instanceof OtlpDecodeError) {
          return fail(reply, encoding, 400, 3, `not an OTLP ${signal} export request: ${err.message}`);
        }
        throw err;
      }
      const now = deps.now();
      const transport = nonKafkaTransport('http');
      const { rows, rejected } = classifyBatch(
        mapped.lines.map((value) => ({ value, fallbackTs: now, transport })),
        { maxBytes: deps.maxLineBytes },
      );
      const dead: DeadLetter[] = rejected.map((r) => ({
        src: 'http',
        reason: `otlp ${signal}: ${r.reason}`,
        raw: mapped.lines[r.index] ?? '',
        line: r.index + 1,
        kafka_topic: '',
        kafka_partition: -1,
        kafka_offset: -1,
      }));
      const key = req.headers['idempotency-key'];
      const token = `otlp:${signal}:${typeof key === 'string' && key !== '' ? key : createHash('sha256').update(body).digest('hex')}`;
      try {
        await deps.calls.insertCalls(rows, `${token}:calls`);
        await deps.deadLetters.insertDeadLetters(dead, `${token}:dead`);
      } catch (err) {
        req.log.error({ err, signal, rows: rows.length }, 'otlp: store insert failed');
        reply.header('retry-after', '5');
        return fail(reply, encoding, 503, 14, 'the store did not acknowledge the rows; retry the export');
      }
      records.inc({ signal, outcome: 'stored' }, rows.length);
      records.inc({ signal, outcome: 'rejected' }, dead.length);
      records.inc({ signal, outcome: 'skipped' }, mapped.skipped);

      const { records: noun, rejectedField } = SIGNALS[signal];
      const notes: string[] = [];
      if (dead.length > 0) {
        const reasons = [...new Set(rejected.map((r) => r.reason))].slice(0, 3).join('; ');
        notes.push(`${dead.length} ${noun} rejected: ${reasons}`);
      }
      if (mapped.skipped > 0) notes.push(`${mapped.skipped} ${noun} skipped: not LLM calls (no gen_ai.* attributes)`);
      const message = notes.join('. ');
      if (encoding === 'protobuf') return send(reply, encoding, 200, encodeExportResponse(dead.length, message));
      return send(
        reply,
        encoding,
        200,
        message === '' ? {} : { partialSuccess: { [rejectedField]: String(dead.length), errorMessage: message } },
      );
    });
  }
};
