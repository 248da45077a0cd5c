// One line (or one envelope, as its NDJSON line) through classifyBatch, the only way into rows: for
// tests that look at a single call.
import { type CallRecord, type Classification, classifyBatch } from '../../services/core/index.js';

export type LineResult = { ok: true; record: CallRecord } | { ok: false; reason: string };

interface LineOptions {
  fallbackTs: number;
  maxBytes?: number;
}

/** One input line: its row, or the reason it was rejected. */
export function classifyLine(line: string | Uint8Array, opts: LineOptions): LineResult {
  const { rows, rejected } = classifyBatch([{ value: line, fallbackTs: opts.fallbackTs }], { maxBytes: opts.maxBytes });
  const record = rows[0];
  return record ? { ok: true, record } : { ok: false, reason: rejected[0]?.reason ?? 'no result' };
}

/** One envelope, serialized as its NDJSON line. */
export function classifyValue(envelope: unknown, opts: LineOptions): LineResult {
  return classifyLine(JSON.stringify(envelope) ?? '', opts);
}

/** The classification `errorscope classify` prints for one envelope; a rejected one is `unknown` with its reason. */
export function classifyOne(envelope: unknown, opts: Partial<LineOptions> = {}): Classification {
  const { details, rejected } = classifyBatch(
    [{ value: JSON.stringify(envelope) ?? '', fallbackTs: opts.fallbackTs ?? Date.now() }],
    { maxBytes: opts.maxBytes, details: true },
  );
  const c = details?.[0];
  if (c) return c;
  return {
    category: 'unknown',
    code: '',
    http_status: null,
    provider: 'unknown',
    retryable: false,
    reset_at: null,
    known: false,
    message: rejected[0]?.reason ?? null,
    request_id: null,
    vars: {},
  };
}
