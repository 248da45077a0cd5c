// The data contracts of errorscope. Pure types and constants: no I/O, no runtime dependencies.
// Every other layer (Kafka, ClickHouse, HTTP, CLI) speaks in these shapes.

/** The closed set of failure categories. Order matters only for display. */
export const CATEGORIES = [
  'ok',
  'auth',
  'account',
  'quota',
  'rate_limit',
  'overload',
  'permission',
  'invalid_request',
  'context_length',
  'not_found',
  'content_policy',
  'conflict',
  'server_error',
  'network',
  'timeout',
  'unknown',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Default retryability of a category, used for codes the taxonomy does not know. */
export function retryableByDefault(category: Category): boolean {
  return (
    category === 'rate_limit' ||
    category === 'overload' ||
    category === 'server_error' ||
    category === 'network' ||
    category === 'timeout' ||
    category === 'conflict'
  );
}

/**
 * One API call as shipped to Kafka (one JSON object per message). Every field is optional: the
 * normalizer accepts what real gateways write and says what was wrong with the rest.
 */
export interface Envelope {
  /** ISO 8601 string or epoch milliseconds; missing means "use the transport's timestamp". */
  ts?: string | number;
  provider?: string;
  endpoint?: string;
  url?: string;
  model?: string;
  /** Raw key: only its fingerprint is ever stored or printed. */
  api_key?: string;
  key_id?: string;
  tenant?: string;
  /** HTTP status, number or numeric string. */
  status?: number | string;
  latency_ms?: number;
  request_id?: string;
  stream?: boolean;
  finish_reason?: string;
  usage?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  /** The failed call's response body: object, JSON string, or SDK-formatted string. */
  body?: unknown;
  /** The error object itself (alternative to `body`). */
  error?: unknown;
}

/** What the classifier says about one call. */
export interface Classification {
  category: Category;
  /** The provider's own code as a string (business code, error code string, type, finish_reason, or HTTP status). */
  code: string;
  http_status: number | null;
  provider: string;
  retryable: boolean;
  /** UTC ISO 8601 (`2026-08-25T07:41:44.000Z`) taken from the message, or null. */
  reset_at: string | null;
  /** False when the taxonomy has no entry for (provider, code). The code is kept as it is. */
  known: boolean;
  message: string | null;
  request_id: string | null;
  /** Variables extracted from message templates (model_name, field, api_name ...). */
  vars: Record<string, string>;
  /** Fields that were ignored, and why (e.g. a status that is not a number); absent when none. */
  notes?: string[];
}

/**
 * One classified call, flat, exactly the columns of `calls_in_v1` that the core fills.
 * Transport metadata (`src`, `kafka_*`) is added by the adapter that received the call.
 */
export interface CallRecord {
  /** Epoch milliseconds (UTC). */
  ts: number;
  provider: string;
  model: string;
  /** Fingerprint of the API key (`fp_` + 16 hex chars) or the given key_id; '' when none. */
  key_fp: string;
  tenant: string;
  endpoint: string;
  /** 0 when the call had no HTTP status (network failure before a response). */
  http_status: number;
  category: Category;
  code: string;
  known: boolean;
  retryable: boolean;
  /** Epoch milliseconds (UTC) or null. */
  reset_at: number | null;
  message: string;
  request_id: string;
  stream: boolean;
  finish_reason: string;
  /** null when the log did not say. */
  latency_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** The error body, compact JSON, truncated (raw-sample drill-down); '' for successful calls. */
  body: string;
}

/** One input line: the raw bytes or text of one JSON envelope; null for a Kafka tombstone. */
export interface InputLine {
  value: string | Uint8Array | null;
  /** Used when the envelope has no `ts` (the Kafka message timestamp, the request time), epoch ms. */
  fallbackTs: number;
}

export interface BatchOptions {
  /** Lines over this many bytes are rejected (poison). Default 1 MiB. */
  maxBytes?: number;
  /** Also return each row's classification (what `errorscope classify` prints). */
  details?: boolean;
}

export interface Rejection {
  /** Index of the line in the batch. */
  index: number;
  /** Why the line cannot become a row; scrubbed of credentials. */
  reason: string;
}

/** What classifyBatch makes of a batch: every line is either a row or a rejection, never both. */
export interface ClassifiedBatch<R extends CallRecord = CallRecord> {
  /** In input order. */
  rows: R[];
  rejected: Rejection[];
  /** With `details`: the classification of each row, `details[i]` for `rows[i]`. */
  details?: Classification[];
}
