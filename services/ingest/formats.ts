// What one Kafka message holds, per topic (`errorscope ingest --format`): an envelope (one call), or an
// OpenTelemetry Collector kafka-exporter message, `otlp_proto` or `otlp_json`: one OTLP export request
// of logs or spans, many calls. OTLP messages go through the same GenAI mapping as POST /v1/logs and
// /v1/traces, then the same classification; their rows keep the message's Kafka coordinates, so the
// segment/intent machinery (exactly once) is unchanged.

import { type ClassifiedBatch, classifyBatch, type InputLine, type Rejection } from '../core/index.js';
import {
  DEFAULT_OTLP_MAP_OPTIONS,
  detectJsonSignal,
  detectProtoSignal,
  OtlpDecodeError,
  type OtlpMapOptions,
  otlpToLines,
} from '../core/otlp.js';
import type { StoredCall, Transport } from '../store/calls.js';

/** One Kafka message: its value (null for a tombstone), its timestamp, and where it was read. */
export interface IngestInput extends InputLine {
  transport: Transport;
}

export interface IngestOptions {
  /** INGEST_MAX_MESSAGE_BYTES: larger messages (and OTLP records) are rejected as poison. */
  maxBytes: number;
}

const INGEST_FORMATS = ['envelope', 'otlp_proto', 'otlp_json'] as const;
export type IngestFormat = (typeof INGEST_FORMATS)[number];

export interface FormattedBatch extends ClassifiedBatch<StoredCall> {
  /** OTLP records that are not LLM calls (no gen_ai.* attributes, no envelope body). */
  skipped: number;
}

const utf8 = new TextEncoder();

/** Classifies a batch of messages of one format. Pure; every message ends as rows, a rejection, or skipped records. */
export function classifyMessages(
  inputs: readonly IngestInput[],
  format: IngestFormat,
  opts: IngestOptions & { map?: OtlpMapOptions },
): FormattedBatch {
  if (format === 'envelope') {
    const { rows, rejected } = classifyBatch(inputs, { maxBytes: opts.maxBytes });
    return { rows, rejected, skipped: 0 };
  }
  const map = opts.map ?? DEFAULT_OTLP_MAP_OPTIONS;
  const out: FormattedBatch = { rows: [], rejected: [], skipped: 0 };
  inputs.forEach((input, index) => {
    if (input.value === null) {
      out.rejected.push({ index, reason: 'empty message (null value)' });
      return;
    }
    const bytes = typeof input.value === 'string' ? utf8.encode(input.value) : input.value;
    let mapped: ReturnType<typeof otlpToLines>;
    try {
      if (format === 'otlp_proto') {
        mapped = otlpToLines(detectProtoSignal(bytes) ?? 'logs', 'protobuf', bytes, map);
      } else {
        let json: unknown;
        try {
          json = JSON.parse(new TextDecoder().decode(bytes));
        } catch (err) {
          throw new OtlpDecodeError(`not JSON: ${(err as Error).message}`);
        }
        const signal = detectJsonSignal(json);
        if (!signal) throw new OtlpDecodeError('neither resourceLogs nor resourceSpans at the top level');
        mapped = otlpToLines(signal, 'json', bytes, map);
      }
    } catch (err) {
      if (!(err instanceof OtlpDecodeError)) throw err;
      out.rejected.push({ index, reason: `${format}: not an OTLP export request: ${err.message}` });
      return;
    }
    out.skipped += mapped.skipped;
    const inner = classifyBatch(
      mapped.lines.map((value) => ({ value, fallbackTs: input.fallbackTs, transport: input.transport })),
      { maxBytes: opts.maxBytes },
    );
    out.rows.push(...inner.rows);
    if (inner.rejected.length > 0) out.rejected.push(combined(index, inner.rejected, mapped.total));
  });
  return out;
}

/** One dead letter per message: the message is the unit Kafka can replay. */
function combined(index: number, rejected: Rejection[], total: number): Rejection {
  const reasons = [...new Set(rejected.map((r) => `record ${r.index + 1}: ${r.reason}`))].slice(0, 3).join('; ');
  return { index, reason: `otlp: ${rejected.length} of ${total} records rejected (${reasons})` };
}
