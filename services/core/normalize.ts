// Turns one parsed log envelope into typed fields, coercing what real gateways write
// (numeric strings, epoch seconds, header casing) and rejecting what cannot be coerced.
import { keyIdentity } from './fingerprint.js';
import { HOST_SUFFIXES, PROVIDER_ALIASES } from './providers.js';

export interface NormalizedEnvelope {
  /** Epoch ms, or null when the envelope has no ts (the caller's fallback applies). */
  ts: number | null;
  /** Normalized provider name as given or detected from the host; '' when neither says. */
  provider: string;
  /** endpoint/url without query string (Gemini puts the key there). */
  endpoint: string;
  model: string;
  keyFp: string;
  tenant: string;
  status: number | null;
  latencyMs: number | null;
  requestId: string;
  stream: boolean;
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  headers: Record<string, unknown> | null;
  /** The failed call's response (`body`, else `error`), undefined when none. */
  error: unknown;
  /** True when the envelope had an `error` field: the call failed whatever the status says. */
  hasErrorField: boolean;
  /** Raw secrets seen in the envelope, only to scrub them from the body/message. Never output. */
  secrets: string[];
  /** What was wrong with fields that were ignored rather than rejected. */
  notes: string[];
}

export type NormalizeResult = { ok: true; env: NormalizedEnvelope } | { ok: false; reason: string };

function normalizeProvider(p: string): string {
  const lower = p.trim().toLowerCase();
  return PROVIDER_ALIASES[lower] ?? lower;
}

const hostCache = new Map<string, string>();
// Endpoints repeat: one Map lookup per call instead of slicing and lowercasing the host.
const endpointCache = new Map<string, string>();

/** Provider from the endpoint host, '' when the host is not a known provider. */
function providerFromEndpoint(endpoint: string): string {
  let p = endpointCache.get(endpoint);
  if (p === undefined) {
    p = providerFromHost(endpoint);
    if (endpointCache.size >= 10_000) endpointCache.clear();
    endpointCache.set(endpoint, p);
  }
  return p;
}

function providerFromHost(endpoint: string): string {
  const start = endpoint.indexOf('://');
  if (start < 0) return '';
  let end = start + 3;
  while (end < endpoint.length) {
    const c = endpoint.charCodeAt(end);
    if (c === 47 || c === 58 || c === 63 || c === 35) break; // / : ? #
    end++;
  }
  const host = endpoint.slice(start + 3, end).toLowerCase();
  let p = hostCache.get(host);
  if (p === undefined) {
    p = '';
    for (const [suffix, provider] of HOST_SUFFIXES) {
      if (host === suffix || host.endsWith(`.${suffix}`)) {
        p = provider;
        break;
      }
    }
    if (hostCache.size >= 10_000) hostCache.clear();
    hostCache.set(host, p);
  }
  return p;
}

class Reject extends Error {}

function str(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Reject(`${field}: expected a string, got ${Array.isArray(v) ? 'array' : typeof v}`);
}

const ISO_ANY = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
// What the store can keep, so a value it cannot hold is refused here with its reason: ClickHouse
// would wrap it (2^64 tokens stored as 384) or fail the whole insert on it ("1e+30" is no UInt64),
// which would hold a Kafka partition for ever. Rollup buckets are DateTime (seconds to 2106-02-07)
// and their TTLs add up to 5 years, so calls are dated 1990 to 2100; latencies and token counts are
// UInt32 per call, so a segment's sums (at most a million calls) stay exact in JavaScript numbers.
const MIN_TS = Date.UTC(1990, 0, 1);
const MAX_TS = Date.UTC(2100, 0, 1);
const MAX_COUNT = 4_294_967_295;

function parseTs(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  let t: number;
  if (typeof v === 'number') t = v;
  else if (typeof v === 'string') {
    t = fastIsoUtc(v);
    if (Number.isNaN(t)) {
      const s = v.trim();
      if (/^\d+(?:\.\d+)?$/.test(s)) t = Number(s);
      else {
        const iso = ISO_ANY.exec(s);
        // A zone-less ISO time is UTC here, whatever the server's time zone is.
        t = Date.parse(iso && iso[1] === undefined ? `${s.replace(' ', 'T')}Z` : s);
      }
    }
  } else throw new Reject(`ts: expected ISO 8601 string or epoch ms, got ${typeof v}`);
  // Epoch seconds are common in Python loggers; no real ms timestamp is below 1e11 (1973).
  if (Number.isFinite(t) && t > 0 && t < 1e11) t *= 1000;
  if (!Number.isFinite(t)) throw new Reject(`ts: unparsable timestamp ${JSON.stringify(v)}`);
  if (t < MIN_TS || t >= MAX_TS) throw new Reject(`ts: ${JSON.stringify(v)} is not between 1990 and 2100`);
  return Math.trunc(t);
}

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    n = n * 10 + c;
  }
  return n;
}

/** `YYYY-MM-DDTHH:MM:SS[.sss]Z`, the shape nearly every logger writes, without Date.parse; NaN otherwise. */
function fastIsoUtc(s: string): number {
  const len = s.length;
  if ((len !== 20 && len !== 24) || s.charCodeAt(len - 1) !== 90 /* Z */ || s.charCodeAt(10) !== 84 /* T */) {
    return Number.NaN;
  }
  if (s[4] !== '-' || s[7] !== '-' || s[13] !== ':' || s[16] !== ':') return Number.NaN;
  let ms = 0;
  if (len === 24) {
    if (s[19] !== '.') return Number.NaN;
    ms = digits(s, 20, 23);
  }
  const mo = digits(s, 5, 7);
  const d = digits(s, 8, 10);
  const h = digits(s, 11, 13);
  const mi = digits(s, 14, 16);
  const se = digits(s, 17, 19);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && se <= 59)) return Number.NaN;
  return Date.UTC(digits(s, 0, 4), mo - 1, d, h, mi, se, ms);
}

/** The HTTP status, or null with a note when the field holds something else (the body still counts). */
function parseStatus(v: unknown, notes: string[]): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,3}\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 999 || (n > 0 && n < 100)) {
    const shown =
      typeof v === 'string'
        ? JSON.stringify(v.slice(0, 40))
        : Array.isArray(v)
          ? 'an array'
          : typeof v === 'object'
            ? 'an object'
            : JSON.stringify(v);
    notes.push(`status ${shown} is not an HTTP status: ignored`);
    return null;
  }
  return n === 0 ? null : n;
}

function parseNum(v: unknown, field: string): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) throw new Reject(`${field}: not a non-negative number: ${JSON.stringify(v)}`);
  if (Math.round(n) > MAX_COUNT) throw new Reject(`${field}: ${JSON.stringify(v)} is beyond ${MAX_COUNT}`);
  return n;
}

function parseBool(v: unknown, field: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 'true' || v === '1') return true;
  if (v === 0 || v === 'false' || v === '0' || v === '') return false;
  throw new Reject(`${field}: expected a boolean`);
}

/** A usage count; what is not a count is 0 (providers write usage loosely), one the store cannot hold is refused. */
function tokenCount(v: unknown, field: string): number {
  let n = 0;
  if (typeof v === 'number') {
    if (Number.isFinite(v) && v >= 0) n = Math.trunc(v);
  } else if (typeof v === 'string' && /^\d+$/.test(v)) n = Number(v);
  if (n > MAX_COUNT) throw new Reject(`usage.${field}: ${JSON.stringify(v)} is beyond ${MAX_COUNT}`);
  return n;
}

function obj(v: unknown, field: string): Record<string, unknown> | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new Reject(`${field}: expected an object`);
}

function stripQuery(url: string): string {
  const q = url.indexOf('?');
  const h = url.indexOf('#');
  const cut = q < 0 ? h : h < 0 ? q : Math.min(q, h);
  return cut < 0 ? url : url.slice(0, cut);
}

const URL_KEY = /[?&](?:key|api[-_]?key|x-api-key|access_token|token)=([^&#]+)/i;
/** Headers that carry a key (the scheme, if any, is dropped). */
const KEY_HEADERS = new Set(['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'proxy-authorization']);

/** Raw keys in request headers logged with the call: scrubbed from the stored texts, never stored. */
function headerKeys(headers: unknown): string[] {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return [];
  const out: string[] = [];
  for (const [name, v] of Object.entries(headers as Record<string, unknown>)) {
    if (typeof v !== 'string' || !KEY_HEADERS.has(name.toLowerCase())) continue;
    const m = /^(?:Bearer|Basic|Token|Key)\s+(.+)$/i.exec(v.trim());
    const key = (m ? m[1]! : v).trim();
    if (key.length >= 6) out.push(key, v);
  }
  return out;
}

/** Never throws: a value that cannot be coerced is rejected with the reason. */
export function normalizeEnvelope(value: unknown): NormalizeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      reason: `envelope is not a JSON object (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`,
    };
  }
  const e = value as Record<string, unknown>;
  try {
    const secrets: string[] = [];
    const notes: string[] = [];
    const rawUrl = str(e.endpoint, 'endpoint') || str(e.url, 'url');
    let apiKey = str(e.api_key, 'api_key');
    if (apiKey.length > 7 && (apiKey.startsWith('Bearer ') || apiKey.startsWith('bearer '))) {
      // An Authorization header value: the key is the same with or without the scheme.
      secrets.push(apiKey);
      apiKey = apiKey.slice(7).trim();
    }
    const keyId = str(e.key_id, 'key_id');
    const inUrl = rawUrl.includes('=') ? URL_KEY.exec(rawUrl) : null;
    if (inUrl) {
      const decoded = decodeURIComponentSafe(inUrl[1]!);
      secrets.push(inUrl[1]!);
      if (decoded !== inUrl[1]) secrets.push(decoded);
      if (apiKey === '' && keyId === '') apiKey = decoded;
    }
    const fromHeaders = headerKeys(e.headers);
    if (fromHeaders.length > 0) {
      secrets.push(...fromHeaders);
      // No key named in the envelope: the one the call was made with identifies it.
      if (apiKey === '' && keyId === '') apiKey = fromHeaders[0]!;
    }
    if (apiKey !== '') secrets.push(apiKey);
    if (keyId !== '' && keyId !== apiKey) secrets.push(keyId);
    const given = str(e.provider, 'provider');
    const provider = given !== '' ? normalizeProvider(given) : providerFromEndpoint(rawUrl);

    const usage = obj(e.usage, 'usage');
    let prompt = 0;
    let completion = 0;
    let total = 0;
    if (usage) {
      prompt = tokenCount(usage.prompt_tokens ?? usage.input_tokens ?? usage.promptTokenCount, 'prompt_tokens');
      completion = tokenCount(
        usage.completion_tokens ?? usage.output_tokens ?? usage.candidatesTokenCount,
        'completion_tokens',
      );
      total = tokenCount(usage.total_tokens ?? usage.totalTokenCount, 'total_tokens') || prompt + completion;
    }
    const latency = parseNum(e.latency_ms, 'latency_ms');
    const body = e.body ?? e.error;
    return {
      ok: true,
      env: {
        ts: parseTs(e.ts),
        provider,
        endpoint: rawUrl.includes('?') || rawUrl.includes('#') ? stripQuery(rawUrl) : rawUrl,
        model: str(e.model, 'model'),
        keyFp: keyIdentity(apiKey, keyId),
        tenant: str(e.tenant, 'tenant'),
        status: parseStatus(e.status, notes),
        latencyMs: latency === null ? null : Math.round(latency),
        requestId: str(e.request_id, 'request_id'),
        stream: parseBool(e.stream, 'stream'),
        finishReason: str(e.finish_reason, 'finish_reason'),
        promptTokens: prompt,
        completionTokens: completion,
        totalTokens: total,
        headers: obj(e.headers, 'headers'),
        error: body === null || body === '' ? undefined : body,
        hasErrorField: e.error !== undefined && e.error !== null && e.error !== '' && e.error !== false,
        secrets,
        notes,
      },
    };
  } catch (err) {
    if (err instanceof Reject) return { ok: false, reason: err.message };
    return { ok: false, reason: `malformed envelope: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
