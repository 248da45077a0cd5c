// The OTLP decoder and the GenAI mapping (services/core/otlp.ts) on bytes made by the official
// OpenTelemetry JS serializer (@opentelemetry/otlp-transformer) from spans and log records made by
// the SDK: what errorscope reads must be what the SDK wrote, in protobuf and in JSON.
import type { Attributes as OtelAttributes } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeLogsRequest,
  decodeTracesRequest,
  encodeExportResponse,
  encodeRpcStatus,
  logsFromJson,
  logToEnvelope,
  OtlpDecodeError,
  spansFromJson,
  spanToEnvelope,
} from '../../services/core/otlp.js';
import { classifyLine } from '../helpers/classify-one.js';

const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const resource = resourceFromAttributes({ 'service.name': 'billing-bot', 'deployment.environment': 'prod' });
const ZHIPU_1310 =
  "Error code: 429 - {'error': {'code': '1310', 'message': 'Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-11-24 10:00:00'}}";

function makeSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('openllmetry-like', '1.0.0');
  const span = (name: string, attributes: OtelAttributes, startMs: number, endMs: number, fail?: Error) => {
    const s = tracer.startSpan(name, { attributes, startTime: startMs });
    if (fail) {
      s.recordException(fail, startMs + 5);
      s.setStatus({ code: SpanStatusCode.ERROR, message: fail.message });
    }
    s.end(endMs);
  };
  class RateLimitError extends Error {
    override name = 'RateLimitError';
  }
  span(
    'chat glm-4.6',
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'zhipu',
      'gen_ai.request.model': 'glm-4.6',
      'server.address': 'open.bigmodel.cn',
      'http.response.status_code': 429,
      'error.type': 'RateLimitError',
      'errorscope.api_key': 'sk-otlp-test-key-0001',
    },
    T0,
    T0 + 250,
    new RateLimitError(ZHIPU_1310),
  );
  span(
    'chat gpt-4o-mini',
    {
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-123',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'url.full': 'https://api.openai.com/v1/chat/completions',
    },
    T0 + 1_000,
    T0 + 1_900,
  );
  span('GET /healthz', { 'http.request.method': 'GET', 'http.response.status_code': 200 }, T0 + 2_000, T0 + 2_001);
  return exporter.getFinishedSpans();
}

async function makeLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('filelog');
  logger.emit({
    timestamp: T0 + 3_000,
    severityNumber: SeverityNumber.ERROR,
    body: JSON.stringify({
      ts: T0 + 3_000,
      model: 'glm-4.6',
      key_id: 'new-api-token-7',
      status: 429,
      error: { code: '1308', message: 'Usage limit reached for 5 hour. Your limit will reset at 2026-11-20 21:00:00' },
    }),
  });
  logger.emit({
    timestamp: T0 + 4_000,
    body: 'gen_ai call failed',
    attributes: {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'http.response.status_code': 529,
      'error.type': 'overloaded_error',
      'exception.message': 'Overloaded',
    },
  });
  logger.emit({ timestamp: T0 + 5_000, body: 'user logged in', attributes: { 'user.id': 'u1' } });
  // The simple processor exports on a microtask.
  await provider.forceFlush();
  return exporter.getFinishedLogRecords();
}

describe('decoding what the official serializer writes', () => {
  const spans = makeSpans();
  const proto = ProtobufTraceSerializer.serializeRequest(spans)!;
  const json = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!));

  it('protobuf and JSON traces decode to the same spans, with the SDK values', () => {
    const fromProto = decodeTracesRequest(proto);
    expect(spansFromJson(json)).toEqual(fromProto);
    expect(fromProto.map((s) => s.name)).toEqual(['chat glm-4.6', 'chat gpt-4o-mini', 'GET /healthz']);
    const [zhipu, openai] = fromProto;
    expect(zhipu!.startMs).toBe(T0);
    expect(zhipu!.endMs).toBe(T0 + 250);
    expect(zhipu!.statusCode).toBe(2);
    expect(zhipu!.statusMessage).toBe(ZHIPU_1310);
    expect(zhipu!.attributes['http.response.status_code']).toBe(429);
    expect(zhipu!.events[0]).toMatchObject({
      name: 'exception',
      timeMs: T0 + 5,
      attributes: { 'exception.type': 'RateLimitError', 'exception.message': ZHIPU_1310 },
    });
    expect(zhipu!.resource['service.name']).toBe('billing-bot');
    expect(zhipu!.traceId).toBe(spans[0]!.spanContext().traceId);
    expect(zhipu!.spanId).toBe(spans[0]!.spanContext().spanId);
    expect(openai!.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(openai!.attributes['gen_ai.usage.input_tokens']).toBe(120);
  });

  it('protobuf and JSON logs decode to the same records', async () => {
    const logs = await makeLogs();
    const p = decodeLogsRequest(ProtobufLogsSerializer.serializeRequest(logs)!);
    const j = logsFromJson(JSON.parse(new TextDecoder().decode(JsonLogsSerializer.serializeRequest(logs)!)));
    expect(j).toEqual(p);
    expect(p.map((r) => r.timeMs)).toEqual([T0 + 3_000, T0 + 4_000, T0 + 5_000]);
    expect(p[1]!.attributes['error.type']).toBe('overloaded_error');
    expect(p[2]!.body).toBe('user logged in');
  });

  it('refuses bytes that are not an OTLP message, with the reason', () => {
    expect(() => decodeTracesRequest(new Uint8Array([0x0a, 0x50, 0x01]))).toThrow(OtlpDecodeError);
    expect(() => decodeTracesRequest(new Uint8Array([0x0a]))).toThrow(/truncated/);
    expect(() => decodeLogsRequest(new Uint8Array([0x0f]))).toThrow(/wire type/);
    expect(() => spansFromJson([1, 2])).toThrow(/not a JSON object/);
    expect(() => logsFromJson({ resourceLogs: 'x' })).toThrow(/resourceLogs: expected an array/);
  });

  it('answers in the format the serializer reads back (partial success)', () => {
    expect(encodeExportResponse(0, '')).toEqual(new Uint8Array(0));
    const res = ProtobufTraceSerializer.deserializeResponse(encodeExportResponse(3, '3 spans rejected'));
    expect(res.partialSuccess).toMatchObject({ errorMessage: '3 spans rejected' });
    expect(Number(res.partialSuccess?.rejectedSpans)).toBe(3);
    const logsRes = ProtobufLogsSerializer.deserializeResponse(encodeExportResponse(2, 'bad'));
    expect(Number(logsRes.partialSuccess?.rejectedLogRecords)).toBe(2);
    // google.rpc.Status: code 3 (field 1, varint), message (field 2).
    expect([...encodeRpcStatus(3, 'no')]).toEqual([0x08, 0x03, 0x12, 0x02, 0x6e, 0x6f]);
  });
});

describe('GenAI semantic conventions -> envelope -> classified call', () => {
  const spans = decodeTracesRequest(ProtobufTraceSerializer.serializeRequest(makeSpans())!);
  let logs: ReturnType<typeof decodeLogsRequest> = [];
  beforeAll(async () => {
    logs = decodeLogsRequest(ProtobufLogsSerializer.serializeRequest(await makeLogs())!);
  });
  const classify = (env: unknown) => {
    const r = classifyLine(JSON.stringify(env), { fallbackTs: 0 });
    if (!r.ok) throw new Error(r.reason);
    return r.record;
  };

  it('a failed zhipu span: the exception message is the error text, the key fingerprinted', () => {
    const m = spanToEnvelope(spans[0]!);
    expect(m.kind).toBe('call');
    if (m.kind !== 'call') return;
    expect(m.envelope).toMatchObject({
      ts: T0,
      latency_ms: 250,
      provider: 'zhipu',
      model: 'glm-4.6',
      url: 'https://open.bigmodel.cn',
      status: 429,
      body: ZHIPU_1310,
      tenant: 'billing-bot',
      api_key: 'sk-otlp-test-key-0001',
    });
    const rec = classify(m.envelope);
    expect(rec).toMatchObject({ provider: 'zhipu', code: '1310', category: 'quota', http_status: 429, ts: T0 });
    expect(rec.key_fp).toMatch(/^fp_[0-9a-f]{16}$/);
    expect(JSON.stringify(rec)).not.toContain('sk-otlp-test-key-0001');
  });

  it('a successful openai span: response model, tokens, finish reason, response id', () => {
    const m = spanToEnvelope(spans[1]!);
    if (m.kind !== 'call') throw new Error('skipped');
    const rec = classify(m.envelope);
    expect(rec).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      category: 'ok',
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      finish_reason: 'stop',
      request_id: 'chatcmpl-123',
      latency_ms: 900,
    });
  });

  it('spans without gen_ai.* attributes are skipped', () => {
    expect(spanToEnvelope(spans[2]!)).toEqual({ kind: 'skip', reason: 'no gen_ai.* attributes' });
  });

  it('log records: an envelope body as is, GenAI attributes mapped, others skipped', () => {
    const [envelopeLog, genAiLog, other] = logs.map((l) => logToEnvelope(l));
    if (envelopeLog?.kind !== 'call' || genAiLog?.kind !== 'call') throw new Error('skipped');
    expect(classify(envelopeLog.envelope)).toMatchObject({
      code: '1308',
      category: 'quota',
      key_fp: 'new-api-token-7',
    });
    expect(classify(genAiLog.envelope)).toMatchObject({
      provider: 'anthropic',
      category: 'overload',
      http_status: 529,
      ts: T0 + 4_000,
    });
    expect(other).toEqual({ kind: 'skip', reason: 'neither an envelope body nor gen_ai.* attributes' });
  });

  it('the key and tenant attributes are configurable', () => {
    const span = {
      ...spans[1]!,
      attributes: { ...spans[1]!.attributes, 'app.key': 'k-123456789012', 'app.team': 'red' },
    };
    const m = spanToEnvelope(span, { keyAttribute: 'app.key', tenantAttribute: 'app.team' });
    expect(m.kind === 'call' && [m.envelope.api_key, m.envelope.tenant]).toEqual(['k-123456789012', 'red']);
  });
});
