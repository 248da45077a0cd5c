// Spans and log records made by the OpenTelemetry JS SDK and serialized by the official OTLP
// serializer, as an instrumented app or a Collector would ship them.
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

export interface PlantedCall {
  requestId: string;
  ts: number;
  /** Zhipu business code of a failed call; null for a success. */
  code: string | null;
}

/** `calls` LLM spans (zhipu glm-4.6, key `key`) plus one span that is not an LLM call. */
export function llmSpans(calls: PlantedCall[], key: string, service = 'support-bot') {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('genai');
  for (const c of calls) {
    const s = tracer.startSpan('chat glm-4.6', {
      startTime: c.ts,
      attributes: {
        'gen_ai.provider.name': 'zhipu',
        'gen_ai.request.model': 'glm-4.6',
        'server.address': 'open.bigmodel.cn',
        'gen_ai.response.id': c.requestId,
        'errorscope.api_key': key,
        ...(c.code ? { 'http.response.status_code': 429, 'error.type': 'APIStatusError' } : {}),
      },
    });
    if (c.code) {
      s.recordException({
        name: 'APIStatusError',
        message: `Error code: 429 - {'error': {'code': '${c.code}', 'message': 'planted ${c.code}'}}`,
      });
      s.setStatus({ code: SpanStatusCode.ERROR });
    }
    s.end(c.ts + 100);
  }
  tracer.startSpan('GET /healthz', { startTime: calls[0]?.ts ?? 0 }).end((calls[0]?.ts ?? 0) + 1);
  const spans = exporter.getFinishedSpans();
  return {
    proto: ProtobufTraceSerializer.serializeRequest(spans)!,
    json: JsonTraceSerializer.serializeRequest(spans)!,
  };
}

/** Log records whose bodies are envelopes (the Collector recipe's shape), plus one plain log line. */
export async function envelopeLogs(envelopes: Record<string, unknown>[]) {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('filelog');
  for (const e of envelopes) logger.emit({ body: JSON.stringify(e) });
  logger.emit({ body: 'GET /healthz 200' });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  return {
    proto: ProtobufLogsSerializer.serializeRequest(records)!,
    json: JsonLogsSerializer.serializeRequest(records)!,
  };
}
