// classifyMessages: one Kafka message per envelope, or one OTLP export request (Collector kafka
// exporter, otlp_proto / otlp_json) per message, many calls each.
import { describe, expect, it } from 'vitest';
import { detectJsonSignal, detectProtoSignal } from '../../services/core/otlp.js';
import { classifyMessages, type IngestInput } from '../../services/ingest/formats.js';
import { envelopeLogs, llmSpans } from '../helpers/otel-sdk.js';

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const calls = [
  { requestId: 'r-1', ts: T0, code: '1310' },
  { requestId: 'r-2', ts: T0 + 1_000, code: null },
  { requestId: 'r-3', ts: T0 + 2_000, code: '1302' },
];
const input = (value: Uint8Array | string | null, offset: number): IngestInput => ({
  value,
  fallbackTs: T0,
  transport: { src: 'kafka', kafka_topic: 't', kafka_partition: 0, kafka_offset: offset },
});

describe('classifyMessages', () => {
  it('otlp_proto and otlp_json traces: one row per LLM span, the Kafka coordinates of the message', () => {
    const { proto, json } = llmSpans(calls, 'sk-formats-key-00000001');
    for (const [format, bytes] of [
      ['otlp_proto', proto],
      ['otlp_json', json],
    ] as const) {
      const out = classifyMessages([input(bytes, 41)], format, { maxBytes: 1 << 20 });
      expect(out.rejected).toEqual([]);
      expect(out.skipped).toBe(1);
      expect(out.rows.map((r) => [r.request_id, r.code, r.category, r.kafka_offset, r.ts])).toEqual([
        ['r-1', '1310', 'quota', 41, T0],
        ['r-2', '200', 'ok', 41, T0 + 1_000],
        ['r-3', '1302', 'rate_limit', 41, T0 + 2_000],
      ]);
    }
  });

  it('otlp logs carrying envelopes; one dead letter per message when some records fail', async () => {
    const { proto, json } = await envelopeLogs([
      { ts: T0, status: 429, request_id: 'l-1', error: { code: '1308', message: 'Usage limit reached' } },
      { ts: 'yesterday', status: 500, error: 'x' },
    ]);
    expect(detectProtoSignal(proto)).toBe('logs');
    expect(detectJsonSignal(JSON.parse(new TextDecoder().decode(json)))).toBe('logs');
    for (const [format, bytes] of [
      ['otlp_proto', proto],
      ['otlp_json', json],
    ] as const) {
      const out = classifyMessages([input(bytes, 7)], format, { maxBytes: 1 << 20 });
      expect(out.rows.map((r) => [r.request_id, r.code])).toEqual([['l-1', '1308']]);
      expect(out.skipped).toBe(1);
      expect(out.rejected).toHaveLength(1);
      expect(out.rejected[0]!.index).toBe(0);
      expect(out.rejected[0]!.reason).toMatch(/^otlp: 1 of 3 records rejected \(record 2: .*ts/);
    }
  });

  it('rejects what is not an OTLP request, with the reason, and goes on', () => {
    const { proto } = llmSpans(calls.slice(0, 1), 'sk-formats-key-00000001');
    const out = classifyMessages(
      [input(new Uint8Array([0x0a, 0x7f]), 1), input(proto, 2), input(null, 3)],
      'otlp_proto',
      { maxBytes: 1 << 20 },
    );
    expect(out.rows.map((r) => r.kafka_offset)).toEqual([2]);
    expect(out.rejected.map((r) => [r.index, r.reason])).toEqual([
      [0, 'otlp_proto: not an OTLP export request: length-delimited field runs past its message'],
      [2, 'empty message (null value)'],
    ]);
    const json = classifyMessages([input('{"foo":1}', 1), input('nope', 2)], 'otlp_json', { maxBytes: 1 << 20 });
    expect(json.rejected.map((r) => r.reason)).toEqual([
      'otlp_json: not an OTLP export request: neither resourceLogs nor resourceSpans at the top level',
      expect.stringMatching(/^otlp_json: not an OTLP export request: not JSON/),
    ]);
  });

  it('envelope: one call per message, as before', () => {
    const out = classifyMessages([input('{"status":200,"provider":"openai"}', 5)], 'envelope', { maxBytes: 1 << 20 });
    expect(out.rows).toHaveLength(1);
    expect(out.skipped).toBe(0);
  });

  it('detects the signal of a traces request', () => {
    expect(detectProtoSignal(llmSpans(calls, 'k').proto)).toBe('traces');
    expect(detectProtoSignal(new Uint8Array(0))).toBeNull();
  });
});
