// Mappers from a gateway's own log records to the errorscope envelope. Pure: `ship --from <name>`
// applies them line by line, and the Vector / OpenTelemetry Collector recipes in docs/shipping.md
// perform the same mapping before the record reaches Kafka.
import type { Envelope } from '../core/types.js';

type MapResult = { ok: true; envelope: Envelope } | { ok: false; reason: string };
export type GatewayMapper = (record: unknown) => MapResult;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Parses a JSON object held in a string column (new-api keeps `other` that way); anything else -> {}. */
function objectFromJsonColumn(v: unknown): Record<string, unknown> {
  if (isObject(v)) return v;
  if (typeof v !== 'string' || v === '') return {};
  try {
    const parsed: unknown = JSON.parse(v);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** Seconds or milliseconds since the epoch, or a date string, to epoch milliseconds. */
function epochMs(v: unknown): number | string | undefined {
  const n = num(v);
  if (n !== undefined) return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  return str(v);
}

function drop<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

// new-api log types: 1 top-up, 2 consume, 3 manage, 4 system, 5 error, 6 refund.
const NEW_API_CONSUME = 2;
const NEW_API_ERROR = 5;

/**
 * A row of new-api's `logs` table (as exported by its log API or a CDC pipeline). Consume rows are
 * successful calls; error rows carry the upstream message in `content` and the status and code in
 * the JSON column `other` (`status_code`, `error_code`, `error_type`).
 */
export const fromNewApiLog: GatewayMapper = (record) => {
  if (!isObject(record)) return { ok: false, reason: 'new-api log row must be a JSON object' };
  const type = num(record.type);
  if (type !== NEW_API_CONSUME && type !== NEW_API_ERROR) {
    return {
      ok: false,
      reason: `new-api log type ${String(record.type)} is not an API call (want 2 consume or 5 error)`,
    };
  }
  const other = objectFromJsonColumn(record.other);
  const useTime = num(record.use_time);
  const base = {
    ts: epochMs(record.created_at),
    provider: str(other.channel_type_name) ?? 'new-api',
    model: str(record.model_name),
    key_id: str(record.token_id) ? `new-api-token-${str(record.token_id)}` : str(record.token_name),
    tenant: str(record.group) ?? str(record.username),
    request_id: str(record.request_id) ?? str(other.request_id),
    stream: record.is_stream === true || record.is_stream === 1 || record.is_stream === 'true',
    latency_ms: useTime === undefined ? undefined : Math.round(useTime * 1000),
    usage: { prompt_tokens: num(record.prompt_tokens) ?? 0, completion_tokens: num(record.completion_tokens) ?? 0 },
  };
  if (type === NEW_API_CONSUME) {
    return { ok: true, envelope: drop({ ...base, status: 200 }) };
  }
  const status = num(other.status_code) ?? num(record.status_code);
  const code = str(other.error_code) ?? str(record.error_code);
  const errorType = str(other.error_type) ?? str(record.error_type);
  const message = str(record.content) ?? '';
  const error = drop({ code, type: errorType, message });
  return { ok: true, envelope: drop({ ...base, status, error }) };
};

const ACCESS_TS = ['ts', '@timestamp', 'timestamp', 'time', 'time_iso8601', 'start_time'];
const ACCESS_STATUS = ['status', 'status_code', 'response_code', 'upstream_status'];
const ACCESS_BODY = ['response_body', 'resp_body', 'body', 'upstream_response_body'];

function first(record: Record<string, unknown>, names: string[]): unknown {
  for (const n of names) if (record[n] !== undefined && record[n] !== '') return record[n];
  return undefined;
}

/** `Bearer sk-...` -> `sk-...`; the raw key only travels to the fingerprint, never further. */
function bearer(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const m = /^\s*bearer\s+(.+)$/i.exec(s);
  return (m?.[1] ?? s).trim() || undefined;
}

/**
 * A JSON access log line of a reverse proxy or gateway in front of an LLM API (nginx `escape=json`
 * log_format, Envoy, Kong, LiteLLM-style): status, timings, upstream URL, and, when the proxy logs
 * it, the response body of failed calls.
 */
export const fromAccessLog: GatewayMapper = (record) => {
  if (!isObject(record)) return { ok: false, reason: 'access log line must be a JSON object' };
  const status = num(first(record, ACCESS_STATUS));
  if (status === undefined) return { ok: false, reason: 'access log line has no numeric status' };
  const host = str(record.upstream_host) ?? str(record.host) ?? str(record.http_host);
  const path = str(record.request_uri) ?? str(record.path) ?? str(record.uri);
  const url = str(record.upstream_url) ?? str(record.url) ?? (host ? `https://${host}${path ?? ''}` : undefined);
  const seconds = num(record.request_time) ?? num(record.upstream_response_time);
  const latency =
    num(record.duration_ms) ?? num(record.latency_ms) ?? (seconds === undefined ? undefined : seconds * 1000);
  const apiKey = bearer(record.authorization ?? record.http_authorization) ?? str(record.x_api_key);
  const envelope = drop({
    ts: epochMs(first(record, ACCESS_TS)),
    provider: str(record.provider),
    url,
    endpoint: url ? undefined : path,
    model: str(record.model),
    api_key: apiKey,
    key_id: apiKey ? undefined : str(record.key_id),
    tenant: str(record.tenant) ?? str(record.consumer),
    status,
    latency_ms: latency === undefined ? undefined : Math.round(latency),
    request_id: str(record.request_id) ?? str(record.x_request_id),
    stream: record.stream === true || undefined,
    body: first(record, ACCESS_BODY),
  });
  return { ok: true, envelope };
};

/** The identity mapping: lines already are envelopes. */
export const fromEnvelope: GatewayMapper = (record) =>
  isObject(record)
    ? { ok: true, envelope: record as Envelope }
    : { ok: false, reason: 'envelope must be a JSON object' };

export const GATEWAY_MAPPERS: Record<string, GatewayMapper> = {
  envelope: fromEnvelope,
  'new-api': fromNewApiLog,
  'access-log': fromAccessLog,
};
