// POST /v1/logs and /v1/traces against the real store (chDB): spans and log records made by the
// OpenTelemetry SDK and serialized by the official OTLP serializer (protobuf, JSON, gzip), as an
// exporter would send them. Expected rows come from the records planted, never from the API.
import { gzipSync } from 'node:zlib';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintKey } from '../../services/core/fingerprint.js';
import { storeIngest, type TestApp, testApp, untilUnshed } from '../helpers/app.js';
import { openTestStore, type TestStore } from '../helpers/seed.js';

const TOKEN = 'otlp-test-token-0123456789';
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const KEY = 'sk-otlp-int-key-000000001';
let store: TestStore;
let app: TestApp;

function spans(n: number, base: number) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('genai');
  for (let i = 0; i < n; i++) {
    const s = tracer.startSpan(`chat glm-4.6 #${i}`, {
      startTime: base + i * 1000,
      attributes: {
        'gen_ai.provider.name': 'zhipu',
        'gen_ai.request.model': 'glm-4.6',
        'server.address': 'open.bigmodel.cn',
        'gen_ai.response.id': `resp-${base}-${i}`,
        'errorscope.api_key': KEY,
        ...(i % 2 === 0 ? { 'http.response.status_code': 429, 'error.type': 'RateLimitError' } : {}),
      },
    });
    if (i % 2 === 0) {
      s.recordException({
        name: 'RateLimitError',
        message: "Error code: 429 - {'error': {'code': '1302', 'message': 'High concurrency usage of this API'}}",
      });
      s.setStatus({ code: SpanStatusCode.ERROR });
    }
    s.end(base + i * 1000 + 120);
  }
  // Not an LLM call: skipped.
  tracer.startSpan('GET /healthz', { startTime: base }).end(base + 1);
  return exporter.getFinishedSpans();
}

async function logs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('filelog');
  logger.emit({
    timestamp: T0 + 60_000,
    body: JSON.stringify({
      model: 'glm-4.6',
      key_id: 'new-api-token-9',
      status: 429,
      request_id: 'log-ok-1',
      error: { code: '1308', message: 'Usage limit reached for 5 hour. Your limit will reset at 2026-11-20 21:00:00' },
    }),
  });
  // An envelope the pipeline rejects (status is not a number): reported in partial_success.
  logger.emit({ timestamp: T0 + 61_000, body: JSON.stringify({ ts: 'yesterday', status: 500, error: 'x' }) });
  logger.emit({ timestamp: T0 + 62_000, body: 'user logged in' });
  await provider.forceFlush();
  return exporter.getFinishedLogRecords();
}

const post = async (path: string, body: Uint8Array | string, headers: Record<string, string>) => {
  await untilUnshed(app);
  return app.inject({
    method: 'POST',
    url: path,
    payload: Buffer.from(body),
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
  });
};

async function stored(requestIdPrefix: string) {
  const rs = await store.client.query({
    query: `SELECT request_id, provider, model, code, category, key_fp, tenant, http_status, toUnixTimestamp64Milli(ts) AS ts
            FROM ${store.database}.errors_v2 WHERE startsWith(request_id, {p:String}) ORDER BY ts`,
    query_params: { p: requestIdPrefix },
    format: 'JSONEachRow',
  });
  return rs.json<Record<string, unknown>>();
}

async function callCount(): Promise<number> {
  const rs = await store.client.query({
    query: `SELECT sum(calls) AS n FROM ${store.database}.calls_1m_v2`,
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: number }>())[0]?.n ?? 0);
}

beforeAll(async () => {
  store = await openTestStore('otlp_http');
  app = await testApp({
    client: store.client,
    database: store.database,
    tokens: [TOKEN],
    now: () => T0 + 3_600_000,
    ingest: storeIngest(store.client, store.database),
    knowledgeMetrics: false,
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
});

describe('POST /v1/traces', () => {
  it('protobuf + gzip: LLM spans stored and classified, the rest skipped, the standard answer', async () => {
    const body = gzipSync(ProtobufTraceSerializer.serializeRequest(spans(4, T0))!);
    const res = await post('/v1/traces', body, {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    const answer = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(res.rawPayload));
    expect(Number(answer.partialSuccess?.rejectedSpans ?? 0)).toBe(0);
    expect(answer.partialSuccess?.errorMessage).toBe('1 spans skipped: not LLM calls (no gen_ai.* attributes)');
    const rows = await stored(`resp-${T0}-`);
    expect(rows).toEqual(
      [0, 2].map((i) => ({
        request_id: `resp-${T0}-${i}`,
        provider: 'zhipu',
        model: 'glm-4.6',
        code: '1302',
        category: 'rate_limit',
        key_fp: fingerprintKey(KEY),
        tenant: 'support-bot',
        http_status: 429,
        ts: T0 + i * 1000,
      })),
    );
    expect(await callCount()).toBe(4);
  });

  it('JSON, sent twice (an exporter retry): stored once', async () => {
    const body = JsonTraceSerializer.serializeRequest(spans(2, T0 + 600_000))!;
    const before = await callCount();
    for (let i = 0; i < 2; i++) {
      const res = await post('/v1/traces', body, { 'content-type': 'application/json' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        partialSuccess: { rejectedSpans: '0', errorMessage: '1 spans skipped: not LLM calls (no gen_ai.* attributes)' },
      });
    }
    expect(await callCount()).toBe(before + 2);
    expect((await stored(`resp-${T0 + 600_000}-`)).map((r) => r.request_id)).toEqual([`resp-${T0 + 600_000}-0`]);
  });

  it('refuses what is not OTLP, with the reason, in the request encoding', async () => {
    const bad = await post('/v1/traces', new Uint8Array([0x0a, 0x7f, 0x01]), {
      'content-type': 'application/x-protobuf',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toBe('application/x-protobuf');
    const json = await post('/v1/traces', '{"resourceSpans": 5}', { 'content-type': 'application/json' });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toEqual({
      code: 3,
      message: 'not an OTLP traces export request: resourceSpans: expected an array',
    });
    const type = await post('/v1/traces', 'x', { 'content-type': 'text/plain' });
    expect(type.statusCode).toBe(415);
    const gz = await post('/v1/traces', 'not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(gz.statusCode).toBe(400);
    expect(gz.json().message).toMatch(/does not gunzip/);
  });

  it('needs the API token like every other write', async () => {
    await untilUnshed(app);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('POST /v1/logs', () => {
  it('envelope bodies stored, a bad one rejected (partial success, dead letter), others skipped', async () => {
    const res = await post('/v1/logs', ProtobufLogsSerializer.serializeRequest(await logs())!, {
      'content-type': 'application/x-protobuf',
    });
    expect(res.statusCode).toBe(200);
    const answer = ProtobufLogsSerializer.deserializeResponse(new Uint8Array(res.rawPayload));
    expect(Number(answer.partialSuccess?.rejectedLogRecords)).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toMatch(/^1 log records rejected: .*ts.*\. 1 log records skipped/);
    expect(await stored('log-ok-')).toEqual([
      expect.objectContaining({ code: '1308', category: 'quota', key_fp: 'new-api-token-9', ts: T0 + 60_000 }),
    ]);
    const dl = await store.client.query({
      query: `SELECT reason, raw FROM ${store.database}.dead_letters_v1 WHERE startsWith(reason, 'otlp logs')`,
      format: 'JSONEachRow',
    });
    const dead = await dl.json<{ reason: string; raw: string }>();
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!.raw)).toMatchObject({ ts: 'yesterday' });
  });

  it('JSON logs work the same way', async () => {
    const res = await post('/v1/logs', JsonLogsSerializer.serializeRequest(await logs())!, {
      'content-type': 'application/json',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().partialSuccess.rejectedLogRecords).toBe('1');
  });
});
