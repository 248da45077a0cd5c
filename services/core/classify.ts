// The classifier: structured fields first (one Map lookup per candidate provider), message regexes only to
// pick among variants, to extract template variables, or for codes the taxonomy does not know.
import { type CompiledEntry, pickVariant, variants } from './catalog.js';
import { type ErrorInfo, extractError } from './extract.js';
import { scrubSecrets } from './fingerprint.js';
import type { NormalizedEnvelope } from './normalize.js';
import { GENERIC } from './taxonomy.js';
import {
  applyTemplate,
  categoryFromMessage,
  findResetTime,
  parseDateTime,
  parseDuration,
  parseRetryAfter,
  retryableByDefault,
} from './text.js';
import type { Category } from './types.js';

/** Internal result: like Classification, with reset time in epoch ms and the raw sample for storage. */
export interface Verdict {
  category: Category;
  code: string;
  httpStatus: number | null;
  provider: string;
  retryable: boolean;
  resetMs: number | null;
  known: boolean;
  /** Scrubbed, untruncated; '' when none. */
  message: string;
  requestId: string;
  vars: Record<string, string>;
  /** Scrubbed compact JSON (or text) of the error body, untruncated; '' for successful calls. */
  body: string;
}

/** Stream failures reported only through finish_reason (HTTP 200), with the provider that uses each. */
const FAILING_FINISH = new Map<string, string>([
  ['sensitive', 'zhipu'],
  ['network_error', 'zhipu'],
  ['content_filter', 'openai'],
  ['refusal', 'anthropic'],
  ['SAFETY', 'gemini'],
  ['RECITATION', 'gemini'],
  ['BLOCKLIST', 'gemini'],
  ['PROHIBITED_CONTENT', 'gemini'],
  ['SPII', 'gemini'],
  ['error', ''],
]);

/** error.type values that name the relay, not the failure. */
const WRAPPER_TYPES = new Set([
  'error',
  'new_api_error',
  'one_api_error',
  'upstream_error',
  'shell_api_error',
  'openai_error',
  'bad_response_status_code',
  'do_request_failed',
]);
const RELAY_TYPES = new Set(['new_api_error', 'one_api_error', 'upstream_error', 'shell_api_error']);

const ZHIPU_FAMILY = new Set(['zhipu', 'zai']);
const FALLBACK_ORDER = ['zhipu', 'new-api', 'openai', 'anthropic', 'gemini', GENERIC];
/** 9999-12-31T23:59:59.999Z: the last instant ClickHouse DateTime64 and toISOString both handle. */
const MAX_INSTANT = 253_402_300_799_999;
const EMPTY_VARS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 9) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function okVerdict(env: NormalizedEnvelope): Verdict {
  return {
    category: 'ok',
    code: String(env.status ?? 200),
    httpStatus: env.status,
    provider: env.provider || 'unknown',
    retryable: false,
    resetMs: null,
    known: true,
    message: '',
    requestId: env.requestId,
    vars: EMPTY_VARS,
    body: '',
  };
}

/** A 2xx (or status-less) response body counts as a failure only when it says so. */
function bodySaysError(info: ErrorInfo): boolean {
  const sample = info.sample;
  if (typeof sample === 'object' && sample !== null && !Array.isArray(sample)) {
    const e = (sample as Record<string, unknown>).error;
    if (e !== undefined && e !== null && e !== '' && e !== false) return true;
  }
  if (info.topType === 'error' || info.bracketCode !== null || info.status !== null) return true;
  if (info.code !== null && info.code !== '0' && info.code !== '200' && info.message !== '') return true;
  return typeof sample === 'string' && info.httpHint !== null;
}

export function classifyNormalized(env: NormalizedEnvelope, callTs: number): Verdict {
  const status = env.status;
  const statusOk = status === null || (status >= 200 && status < 300);
  const failingFinish = env.finishReason !== '' && FAILING_FINISH.has(env.finishReason);
  if (statusOk && !failingFinish && !env.hasErrorField && env.error === undefined) return okVerdict(env);
  const info = env.error === undefined ? null : extractError(env.error);
  if (statusOk && !failingFinish && !env.hasErrorField && (info === null || !bodySaysError(info))) {
    return okVerdict(env);
  }
  return classifyFailure(env, info, failingFinish, callTs);
}

function classifyFailure(env: NormalizedEnvelope, info: ErrorInfo | null, failingFinish: boolean, callTs: number) {
  let httpStatus = env.status ?? info?.httpHint ?? null;
  const message = info?.message ?? '';
  let provider = env.provider;

  // 1. The provider's code: business code wherever it appears, else code string, else type/status, else
  //    finish_reason, else the HTTP status.
  let business: string | null = null;
  let code: string | null = null;
  let byStatus = false;
  if (info) {
    const c = info.code;
    if (info.bracketCode !== null) business = info.bracketCode;
    else if (c !== null && isDigits(c)) {
      const n = Number(c);
      if (n >= 1000 || (n === 500 && (ZHIPU_FAMILY.has(provider) || provider === ''))) business = c;
      else if (n >= 100 && n <= 599 && httpStatus === null) httpStatus = n;
    }
    if (business === null && info.type !== null && isDigits(info.type)) business = info.type;
    if (business !== null) code = business;
    else if (c !== null && !isDigits(c) && c.length <= 128) code = c;
    else if (info.status !== null && info.status.length <= 128) code = info.status;
    else if (info.type !== null && !WRAPPER_TYPES.has(info.type) && info.type.length <= 128) code = info.type;
  }
  if (code === null && failingFinish) code = env.finishReason;
  if (code === null) {
    byStatus = true;
    code = httpStatus === null ? '0' : String(httpStatus);
  }

  // 2. Provider when the envelope did not say (host unknown): body shape and code ranges.
  if (provider === '') provider = detectProvider(info, business, code, failingFinish ? env.finishReason : '');

  // 3. One Map lookup per provider of the chain; variants are told apart by the message.
  const chain = byStatus ? [provider, GENERIC] : fallbackChain(provider);
  let selected: CompiledEntry | null = null;
  for (const p of chain) {
    const list = variants(p, code);
    if (list) {
      selected = pickVariant(list, message);
      if (selected) break;
    }
  }

  let category: Category;
  let retryable: boolean;
  const known = selected !== null;
  if (selected) {
    category = selected.entry.category;
    retryable = selected.entry.retryable;
    httpStatus ??= env.status;
  } else {
    // Unknown code: kept as it is; category from the message, else from the HTTP status.
    const fromMessage = message === '' ? null : categoryFromMessage(message);
    const statusRows = httpStatus === null ? undefined : variants(GENERIC, String(httpStatus));
    const statusEntry = statusRows ? pickVariant(statusRows, message) : null;
    category =
      fromMessage ??
      statusEntry?.entry.category ??
      (httpStatus !== null && httpStatus >= 500
        ? 'server_error'
        : httpStatus !== null && httpStatus >= 400
          ? 'invalid_request'
          : httpStatus === null && info !== null
            ? 'network'
            : 'unknown');
    retryable =
      statusEntry && statusEntry.entry.category === category
        ? statusEntry.entry.retryable
        : retryableByDefault(category);
  }

  // 4. Variables and reset time (regexes only for errors that carry text).
  let vars: Record<string, string> = EMPTY_VARS;
  if (selected && selected.templates.length > 0 && message !== '') {
    vars = {};
    for (const t of selected.templates) if (applyTemplate(t, message, vars)) break;
    if (env.secrets.length > 0) for (const k of Object.keys(vars)) vars[k] = scrubSecrets(vars[k]!, env.secrets);
  }
  const cst =
    ZHIPU_FAMILY.has(provider) || business !== null || (selected !== null && ZHIPU_FAMILY.has(selected.entry.provider));
  let resetMs: number | null = null;
  if (vars.next_flush_time !== undefined) resetMs = parseDateTime(vars.next_flush_time, cst);
  if (resetMs === null && message !== '') resetMs = findResetTime(message, cst);
  if (resetMs === null && env.headers) resetMs = resetFromHeaders(env.headers, callTs);
  // Absurd header values (a retry-after of 1e13 s) must not become an unprintable date.
  if (resetMs !== null && !(resetMs >= 0 && resetMs <= MAX_INSTANT)) resetMs = null;

  const secrets = env.secrets;
  let body = '';
  if (info) {
    const sample = info.sample;
    if (typeof sample === 'string') body = sample;
    else {
      try {
        body = JSON.stringify(sample) ?? '';
      } catch {
        body = String(sample);
      }
    }
  }
  return {
    category,
    code,
    httpStatus,
    provider: provider || 'unknown',
    retryable,
    resetMs,
    known,
    message: message === '' ? '' : scrubSecrets(message, secrets),
    requestId: info?.requestId ?? env.requestId,
    vars,
    body: body === '' ? '' : scrubSecrets(body, secrets),
  } satisfies Verdict;
}

const chains = new Map<string, readonly string[]>();
function fallbackChain(provider: string): readonly string[] {
  let c = chains.get(provider);
  if (c === undefined) {
    c = [provider, ...FALLBACK_ORDER.filter((p) => p !== provider)];
    if (chains.size < 1000) chains.set(provider, c);
  }
  return c;
}

function detectProvider(info: ErrorInfo | null, business: string | null, code: string, finish: string): string {
  if (info) {
    const relay = info.relay || (info.type !== null && RELAY_TYPES.has(info.type));
    if (business !== null) return relay ? 'new-api' : 'zhipu';
    if (relay || (!isDigits(code) && variants('new-api', code) !== undefined)) return 'new-api';
    if (info.topType === 'error') return 'anthropic';
    if (info.status !== null && info.status === code) return 'gemini';
    if (variants('openai', code)) return 'openai';
    if (variants('anthropic', code)) return 'anthropic';
  }
  if (finish !== '') return FAILING_FINISH.get(finish) || 'unknown';
  return 'unknown';
}

function resetFromHeaders(headers: Record<string, unknown>, callTs: number): number | null {
  let retryAfter: unknown;
  let resetDuration: unknown;
  let resetStamp: unknown;
  for (const k of Object.keys(headers)) {
    const lower = k.toLowerCase();
    if (lower === 'retry-after') retryAfter = headers[k];
    else if (lower === 'x-ratelimit-reset-requests' || lower === 'x-ratelimit-reset-tokens')
      resetDuration ??= headers[k];
    else if (lower.startsWith('anthropic-ratelimit-') && lower.endsWith('-reset')) resetStamp ??= headers[k];
    else if (lower === 'x-ratelimit-reset') resetStamp ??= headers[k];
  }
  const ra = parseRetryAfter(retryAfter, callTs);
  if (ra !== null) return ra;
  const d = parseDuration(resetDuration);
  if (d !== null) return callTs + d;
  if (typeof resetStamp === 'string' && resetStamp.length < 64) {
    if (isDigits(resetStamp)) {
      const n = Number(resetStamp);
      // Epoch seconds, or a delta in seconds when small.
      return n > 1e9 ? n * 1000 : callTs + n * 1000;
    }
    const t = Date.parse(resetStamp);
    if (Number.isFinite(t)) return t;
  }
  return null;
}
