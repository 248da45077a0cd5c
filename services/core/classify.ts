// The classifier: structured fields first (one Map lookup per candidate provider), message regexes only to
// pick among variants, to extract template variables, or for codes the taxonomy does not know.
import { type CompiledEntry, pickVariant, variants } from './catalog.js';
import { type ErrorInfo, extractError, isGenericCode, SDK_CLASSES } from './extract.js';
import { secretScrubber } from './fingerprint.js';
import { meaningOf, meaningOfType, periodOf, relativeDelayMs } from './meaning.js';
import type { NormalizedEnvelope } from './normalize.js';
import { PARENT } from './providers.js';
import { findResetTime, parseDateTime, parseGoDuration, parseRetryAfter } from './reset-time.js';
import { statusIn } from './scan.js';
import { GENERIC, isZhipuFamily } from './taxonomy.js';
import { applyTemplate } from './templates.js';
import { type Category, retryableByDefault } from './types.js';

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

/** A type that is no code at all: the generic `error` and client-SDK class names. */
function isWrapperType(type: string): boolean {
  return type === 'error' || SDK_CLASSES.has(type);
}

const RELAY_TYPES = new Set(['new_api_error', 'one_api_error', 'upstream_error', 'shell_api_error']);

const FALLBACK_ORDER = [
  'zhipu',
  'new-api',
  'openai',
  'anthropic',
  'gemini',
  'dashscope',
  'moonshot',
  'groq',
  'azure',
  'deepseek',
  'openrouter',
  GENERIC,
];
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

/** A 2xx (or status-less) response body counts as a failure only when it says so in its structure. */
function bodySaysError(info: ErrorInfo): boolean {
  if (info.failed || info.inband !== null || info.bracketCode !== null || info.status !== null) return true;
  if (info.topType !== null) return true;
  if (info.code !== null && info.message !== '') return true;
  if (info.type !== null && info.message !== '' && !info.success) return true;
  if (info.httpHint !== null && info.httpHint >= 400) return true;
  return info.errno !== null || (info.exception !== null && !info.success);
}

/** A body that is bare text (no JSON, no stream) and says error or failed is no completion. */
function textSaysError(env: NormalizedEnvelope, info: ErrorInfo): boolean {
  return (
    typeof env.error === 'string' &&
    typeof info.sample === 'string' &&
    !info.success &&
    /\b(?:error|exception|failed|failure)\b/i.test(info.sample.slice(0, 2048))
  );
}

/** A call with no status and no error: a completion, token usage or a normal finish says it succeeded. */
function envelopeSucceeded(env: NormalizedEnvelope): boolean {
  return (
    env.totalTokens > 0 ||
    env.completionTokens > 0 ||
    (env.finishReason !== '' && !FAILING_FINISH.has(env.finishReason))
  );
}

export function classifyNormalized(env: NormalizedEnvelope, callTs: number): Verdict {
  const status = env.status;
  const is2xx = status !== null && status >= 200 && status < 300;
  const failingFinish = env.finishReason !== '' && FAILING_FINISH.has(env.finishReason);
  if (status !== null && !is2xx) return classifyFailure(env, errorInfo(env), failingFinish, callTs);
  if (failingFinish) return classifyFailure(env, errorInfo(env), true, callTs);
  const info = errorInfo(env);
  if (info !== null && (env.hasErrorField || bodySaysError(info) || textSaysError(env, info)))
    return classifyFailure(env, info, false, callTs);
  if (is2xx) return okVerdict(env);
  // No status: `ok` needs a positive success signal; an unexplained text is a failure; nothing is unknown.
  if (info?.success) return okVerdict(env);
  if (info === null && envelopeSucceeded(env)) return okVerdict(env);
  if (info !== null && (info.message !== '' || info.context !== '')) return classifyFailure(env, info, false, callTs);
  return unknownVerdict(env);
}

function errorInfo(env: NormalizedEnvelope): ErrorInfo | null {
  return env.error === undefined ? null : extractError(env.error);
}

function unknownVerdict(env: NormalizedEnvelope): Verdict {
  return {
    category: 'unknown',
    code: '',
    httpStatus: null,
    provider: env.provider || 'unknown',
    retryable: false,
    resetMs: null,
    known: false,
    message: '',
    requestId: env.requestId,
    vars: EMPTY_VARS,
    body: '',
  };
}

/** A relative `try again in N` is a reset time only where waiting is the remedy. */
const WAITING_HELPS = new Set<Category>(['quota', 'rate_limit', 'overload', 'server_error', 'timeout', 'unknown']);

/** Categories a message states precisely enough to override a status or a generic code. */
const STRONG = new Set<Category>(['quota', 'rate_limit', 'overload', 'context_length', 'content_policy', 'account']);
/** Categories a status or generic code gives without saying much. */
const WEAK = new Set<Category>(['invalid_request', 'server_error', 'unknown']);

/** What a message says that is too vague to overrule a status (`invalid ...`, `connection ...`). */
const VAGUE = new Set<Category>(['invalid_request', 'server_error', 'network', 'timeout']);

/**
 * Structure says `primary`, the message says `stated`: the more specific wins. A bare HTTP status says
 * little, so any precise message overrules it; a code's own meaning yields only to a strong message.
 */
function combine(primary: Category | null, stated: Category | null, bareStatus: boolean): Category | null {
  if (primary === null || primary === 'unknown') return stated ?? primary;
  if (stated === null || stated === primary) return primary;
  // Anything called "invalid" by a wrapper does not turn a server failure into a bad request.
  if (STRONG.has(stated) || (WEAK.has(primary) && stated !== 'invalid_request')) return stated;
  if (bareStatus && !VAGUE.has(stated)) return stated;
  return primary;
}

function classifyFailure(env: NormalizedEnvelope, info: ErrorInfo | null, failingFinish: boolean, callTs: number) {
  const envStatus = env.status;
  let httpStatus = envStatus ?? info?.httpHint ?? null;
  const message = info?.message ?? '';
  let provider = env.provider;

  // 1. The provider's code: business code wherever it appears, else code string, else type/status word or a
  //    provider-side exception name, else a failing finish reason, else the HTTP status, else an errno.
  let business: string | null = null;
  let familyCode = false;
  let code: string | null = null;
  let byStatus = false;
  if (info) {
    const c = info.code;
    if (info.bracketCode !== null) business = info.bracketCode;
    else if (c !== null && isDigits(c)) {
      const n = Number(c);
      if (
        n >= 400 &&
        n <= 599 &&
        (httpStatus === null || httpStatus === n) &&
        !(n === 500 && isZhipuFamily(provider))
      ) {
        // An HTTP error status written in the code field.
        httpStatus ??= n;
      } else business = c;
    }
    if (business === null && info.type !== null && isDigits(info.type) && Number(info.type) >= 1000)
      business = info.type;
    if (business !== null) code = business;
    else if (c !== null && !isDigits(c) && c.length <= 128) code = c;
    else if (info.reason !== null) code = info.reason;
    else if (info.status !== null && info.status.length <= 128) {
      // An error type or status word names a family (`rate_limit_error`): a plain message may refine it.
      code = info.status;
      familyCode = true;
    } else if (info.type !== null && !isWrapperType(info.type) && !isDigits(info.type) && info.type.length <= 128) {
      code = info.type;
      familyCode = true;
    } else if (info.exception !== null && !SDK_CLASSES.has(info.exception) && info.exception.length <= 128)
      code = info.exception;
  }
  if (code === null && failingFinish) code = env.finishReason;
  if (code === null && info?.inband) code = info.inband;
  if (code === null && httpStatus !== null) {
    byStatus = true;
    code = String(httpStatus);
  }
  if (code === null) code = info?.errno ?? '';

  // 2. Provider when the envelope did not say (host unknown): body shape and code ranges.
  if (provider === '') provider = detectProvider(info, business, code, failingFinish ? env.finishReason : '');

  // 3. One Map lookup per provider of the chain; variants are told apart by the message.
  const text = info === null ? '' : info.context === '' ? message : `${message} ${info.context}`;
  const chain =
    byStatus || (business !== null && !ZHIPU_CODES_OK(provider)) ? ownChain(provider) : fallbackChain(provider);
  let selected: CompiledEntry | null = null;
  if (code !== '') {
    for (const p of chain) {
      const list = variants(p, code);
      if (list) {
        selected = pickVariant(list, text);
        if (selected) break;
      }
    }
  }

  // 4. Category: a specific code decides; a bare status or a generic code is refined by what the message states.
  // What the message states: its words, else a status it names (`Request failed with status code 429`).
  let proseText: string | null = null;
  const prose = (): string => {
    proseText ??= text === '' ? '' : withoutSdkClasses(text);
    return proseText;
  };
  // Read lazily: a specific code from a confirmed table needs no message reading at all.
  let statedDone = false;
  let statedValue: Category | null = null;
  const stated = (): Category | null => {
    if (statedDone) return statedValue;
    statedDone = true;
    const p = prose();
    statedValue = p === '' ? null : meaningOf(p);
    if (statedValue === null && p !== '') {
      const named = statusIn(p);
      if (named !== null && named >= 400 && String(named) !== code)
        statedValue = statusRow('', named, p)?.entry.category ?? null;
    }
    return statedValue;
  };
  const guessed = business !== null && env.provider === '' && !info?.relay && info?.bracketCode === null;
  let category: Category;
  let retryable: boolean;
  let known = selected !== null;
  // No host said who answered: a code string only one provider's table knows names it.
  if (
    (provider === 'unknown' || provider === '') &&
    selected !== null &&
    selected.entry.provider !== GENERIC &&
    !byStatus &&
    !isDigits(code) &&
    !isGenericCode(code)
  )
    provider = selected.entry.provider;
  if (
    selected &&
    ((!byStatus && !isGenericCode(code)) || (selected.match !== null && selected.entry.provider !== GENERIC))
  ) {
    // A specific code, or a variant the taxonomy picked by its message.
    category = selected.entry.category;
    retryable = selected.entry.retryable;
    const said = familyCode || guessed ? stated() : null;
    if (said !== null && said !== category && STRONG.has(said)) {
      category = said;
      retryable = retryableByDefault(category);
    }
  } else {
    // Many APIs write a 5-digit code whose first three digits are the HTTP status (`40301`, `50001`).
    const statusEntry =
      selected ??
      statusRow(provider, httpStatus, text) ??
      (business !== null && /^[45]\d\d\d\d$/.test(business) ? statusRow('', Number(business.slice(0, 3)), text) : null);
    // A relay's type (`new_api_error`) is explained by the relay's own status table.
    if (statusEntry !== null && statusEntry.entry.provider !== GENERIC && isGenericCode(code)) known = true;
    if (statusEntry !== null && statusEntry.match !== null && statusEntry.entry.provider !== GENERIC) {
      // The status table's own variant for this message (`429` + `quota|balance`).
      category = statusEntry.entry.category;
      retryable = statusEntry.entry.retryable;
    } else {
      // An unknown specific code names its own meaning (`ThrottlingException`, `exceed_context_size_error`).
      const ownWords =
        !byStatus && code !== '' && !isDigits(code) && !isGenericCode(code) && !code.startsWith('ERR_')
          ? meaningOfType(code)
          : null;
      const fromStructure =
        ownWords ??
        statusEntry?.entry.category ??
        (info?.exception ? meaningOfType(info.exception) : null) ??
        (httpStatus !== null && httpStatus >= 500
          ? 'server_error'
          : httpStatus !== null && httpStatus >= 400
            ? 'invalid_request'
            : null);
      category = combine(fromStructure, stated(), ownWords === null) ?? 'unknown';
      retryable =
        statusEntry && statusEntry.entry.category === category
          ? statusEntry.entry.retryable
          : retryableByDefault(category);
    }
  }
  // The period decides quota vs rate_limit, whatever the provider calls it; without one, a bare "quota"
  // word does not turn a throttle (429, a rate-limit code) into a wall.
  // A documented business code from its own provider's table already says which (1302 concurrency, 1310
  // a weekly/monthly wall): only codes that name a family, guesses and bare statuses are read for it.
  const tableSays = business !== null && selected !== null && !guessed && selected.match === null;
  if ((category === 'quota' || category === 'rate_limit') && text !== '' && !tableSays) {
    const byPeriod = periodOf(prose());
    if (byPeriod === null && category === 'quota' && throttleSays(selected, httpStatus) && stated() === 'quota') {
      category = 'rate_limit';
      retryable = true;
    }
    if (byPeriod !== null && byPeriod !== category) {
      category = byPeriod;
      retryable = retryableByDefault(category);
    }
  }
  if (selected) httpStatus ??= envStatus;

  // Every text of the verdict is stored or answered: scrubbed, codes and provider names included.
  const scrub = secretScrubber(env.secrets);
  const clean = (t: string) => (t === '' ? t : scrub(t));

  // 5. Variables and reset time (regexes only for errors that carry text).
  let vars: Record<string, string> = EMPTY_VARS;
  if (selected && selected.templates.length > 0 && message !== '') {
    vars = {};
    for (const t of selected.templates) if (applyTemplate(t, message, vars)) break;
    if (env.secrets.length > 0) for (const k of Object.keys(vars)) vars[k] = scrub(vars[k]!);
  }
  const cst =
    isZhipuFamily(provider) || business !== null || (selected !== null && isZhipuFamily(selected.entry.provider));
  let resetMs: number | null = null;
  if (vars.next_flush_time !== undefined) resetMs = parseDateTime(vars.next_flush_time, cst);
  if (resetMs === null && text !== '') resetMs = findResetTime(text, cst);
  if (resetMs === null && text !== '' && WAITING_HELPS.has(category)) {
    const d = relativeDelayMs(text);
    if (d !== null) resetMs = callTs + d;
  }
  if (resetMs === null && info?.retryDelayMs != null) resetMs = callTs + info.retryDelayMs;
  if (resetMs === null && env.headers) resetMs = resetFromHeaders(env.headers, callTs);
  // Absurd header values (a retry-after of 1e13 s) must not become an unprintable date.
  if (resetMs !== null && !(resetMs >= 0 && resetMs <= MAX_INSTANT)) resetMs = null;

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
    code: clean(code),
    httpStatus,
    provider: clean(provider || 'unknown'),
    retryable,
    resetMs,
    known,
    message: clean(message),
    requestId: clean(info?.requestId ?? env.requestId),
    vars,
    body: clean(body),
  } satisfies Verdict;
}

/** A rate-limit code, or a 429 with no code, says "throttle". */
function throttleSays(selected: CompiledEntry | null, httpStatus: number | null): boolean {
  if (selected !== null && selected.match === null) return selected.entry.category === 'rate_limit';
  return httpStatus === 429;
}

const SDK_CLASS_WORDS = new RegExp(`\\b(?:${[...SDK_CLASSES].filter((c) => c.length > 6).join('|')})\\b`, 'g');

/** The text without client-SDK class names (`litellm.RateLimitError` says nothing of the provider's error). */
function withoutSdkClasses(text: string): string {
  return text.includes('Error') || text.includes('Exception') ? text.replace(SDK_CLASS_WORDS, ' ') : text;
}

/** The status table row (provider's own, else generic) for an HTTP status, variant picked by the text. */
function statusRow(provider: string, httpStatus: number | null, text: string): CompiledEntry | null {
  // A failure reported with a 2xx (in-band) says nothing by its status.
  if (httpStatus === null || httpStatus < 300) return null;
  const s = String(httpStatus);
  for (const p of ownChain(provider)) {
    const rows = variants(p, s);
    if (rows) {
      const picked = pickVariant(rows, text);
      if (picked) return picked;
    }
  }
  return null;
}

/** Providers whose numeric business codes are Zhipu's (the family itself, relays, and unknown hosts). */
function ZHIPU_CODES_OK(provider: string): boolean {
  return provider === '' || provider === 'unknown' || isZhipuFamily(provider) || provider === 'new-api';
}

const ownChains = new Map<string, readonly string[]>();
/** A provider's own rows, its parent's (OpenAI-compatible APIs), then the generic rows. */
function ownChain(provider: string): readonly string[] {
  let c = ownChains.get(provider);
  if (c === undefined) {
    const parent = PARENT[provider];
    c = parent ? [provider, parent, GENERIC] : [provider, GENERIC];
    if (ownChains.size < 1000) ownChains.set(provider, c);
  }
  return c;
}

const chains = new Map<string, readonly string[]>();
function fallbackChain(provider: string): readonly string[] {
  let c = chains.get(provider);
  if (c === undefined) {
    const parent = PARENT[provider];
    const head = parent ? [provider, parent] : [provider];
    c = [...head, ...FALLBACK_ORDER.filter((p) => !head.includes(p))];
    if (chains.size < 1000) chains.set(provider, c);
  }
  return c;
}

/** Zhipu/Z.AI business codes: 500 and 1000-1399 (the documented table and the codes added since). */
function isZhipuCode(code: string): boolean {
  const n = Number(code);
  return n === 500 || (n >= 1000 && n < 1400);
}

function detectProvider(info: ErrorInfo | null, business: string | null, code: string, finish: string): string {
  if (info) {
    const relay = info.relay || (info.type !== null && RELAY_TYPES.has(info.type));
    if (business !== null && isZhipuCode(business)) return relay ? 'new-api' : 'zhipu';
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
  const d = parseGoDuration(resetDuration);
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
