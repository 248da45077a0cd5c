// Reads the structured fields out of every real error-body shape, layer by layer: OpenAI/new-api
// `{"error":{code,type,message}}`, Anthropic `{"type":"error","error":{...}}`, Gemini `{"error":{code,status,
// message,details}}` (or a one-element array of it), Zhipu v3 `{"code":1261,"msg":...}`, Baidu
// `{error_code,error_msg}`, Tencent `{"Response":{"Error":{Code,Message}}}`, Cloudflare `{success:false,
// errors:[...]}`, MiniMax `base_resp`, OpenAI Responses `response.failed`, FastAPI `{"detail":...}`, SDK and
// CLI strings with the status and the provider's JSON anywhere in the text (scan.ts), bracket messages
// (`[1310][text][request id]`), and wrappers that carry another error as a string.
//
// Layers go from the outside in. The innermost layer that carries a code decides the code (a relay's or
// SDK's own code is kept only when nothing inside has one); the HTTP status is the outermost one stated.
import { bracketIn, parseObject, scanText, statusIn } from './scan.js';

export interface ErrorInfo {
  /** The provider's code field (business code or code string) as a string. */
  code: string | null;
  /** `error.type` (Anthropic/OpenAI type, or a business code moved there by a relay). */
  type: string | null;
  /** Google's ErrorInfo reason (`API_KEY_INVALID`). */
  reason: string | null;
  /** An upper-case status word (`RESOURCE_EXHAUSTED`). */
  status: string | null;
  /** Top-level `type` of any layer (`error` for Anthropic bodies). */
  topType: string | null;
  /** The innermost human message. */
  message: string;
  /** Everything else a person would read to tell what went wrong (prose around an embedded body, details). */
  context: string;
  /** Business code from a `[1310]` bracket. */
  bracketCode: string | null;
  requestId: string | null;
  /** HTTP status stated in the body or text (SDK string prefix, Gemini numeric `error.code`, `statusCode`). */
  httpHint: number | null;
  /** True when the text looked like a relay (`(request id: ...)` suffix, new-api error types). */
  relay: boolean;
  /** errno named in the text (`ECONNRESET`). */
  errno: string | null;
  /** A provider-side exception name (`ThrottlingException`), from a field or the text. */
  exception: string | null;
  /** A failure reported inside a success-shaped body: finish reason or block reason (`SAFETY`, `content_filter`). */
  inband: string | null;
  /** The body has the shape of a success (choices, candidates, content, usage). */
  success: boolean;
  /** The body says it failed (an `error` member, `success: false`, an error event) without saying more. */
  failed: boolean;
  /** Structured retry hint (`retryDelay: "37s"`) in ms. */
  retryDelayMs: number | null;
  /** The value to store as the raw sample (parsed JSON when the body was JSON text). */
  sample: unknown;
}

interface Layer {
  /** Which body the layer belongs to: each text parsed for an embedded body starts a new, inner one. */
  body: number;
  code: string | null;
  /** Google's ErrorInfo reason (`API_KEY_INVALID`): finer than the status word beside it. */
  reason: string | null;
  type: string | null;
  status: string | null;
  bracketCode: string | null;
  message: string;
}

const MAX_DEPTH = 8;
/** A code field that only repeats an HTTP error status (`"code": 400`). */
const HTTP_ERROR_STATUS = /^[45]\d\d$/;
/** Type words that say the object is an error or a failed response, not which error. */
const NOT_TYPES = new Set(['error', 'failed', 'response.failed', 'exception']);
const NOTHING = new Set(['None', 'null', 'undefined', 'nil', '<nil>', 'NULL']);
/** Client-SDK and runtime exception class names: they name the library's wrapper, not the provider's error. */
export const SDK_CLASSES: ReadonlySet<string> = new Set([
  'APIError',
  'APIConnectionError',
  'APITimeoutError',
  'APIStatusError',
  'APIResponseValidationError',
  'AuthenticationError',
  'BadRequestError',
  'ConflictError',
  'InternalServerError',
  'NotFoundError',
  'PermissionDeniedError',
  'RateLimitError',
  'UnprocessableEntityError',
  'ServiceUnavailableError',
  'ContextWindowExceededError',
  'ContentPolicyViolationError',
  'Timeout',
  'RequestFailedException',
  'ClientResultException',
  'HttpOperationException',
  'OpenAiHttpException',
  'HttpResponseException',
  'WebClientResponseException',
  'HttpClientErrorException',
  'ApiException',
  'SdkClientException',
  'AI_APICallError',
  'AI_RetryError',
  'AI_TypeValidationError',
  'AI_LoadAPIKeyError',
  'FetchError',
  'AbortError',
  'TypeError',
  'ValueError',
  'RuntimeError',
  'KeyError',
  'HttpError',
  'HTTPError',
  'ClientError',
  'ServerError',
  'ProviderBizError',
  'EventStreamError',
  'InvalidRequestError',
  'OpenAIError',
  'ServiceUnavailableError',
  'PluginInvokeError',
  'InactiveRpcError',
  '_InactiveRpcError',
  'Error',
  'Exception',
]);
/** Codes that name a family of errors, not the error: the message's meaning may refine them. */
const GENERIC_CODES = new Set([
  'invalid_request_error',
  'invalid_request',
  'api_error',
  'error',
  'bad_request',
  'badrequest',
  'unknown_error',
  'upstream_error',
  'server_error',
  'internal_error',
  'internal_server_error',
  'service_unavailable',
  'bad_response_status_code',
  'provider_response_error',
  'do_request_failed',
  'invalid_argument',
  'failed_precondition',
  'invalidparameter',
  'unavailable',
  'invalid_parameter',
  'invalidparametervalue',
  'failedoperation',
  'internalerror',
  'unknown',
  'openai_error',
  'new_api_error',
  'one_api_error',
  'shell_api_error',
  'v_api_error',
  'requesterror',
  'permission_denied',
  'unauthenticated',
  'permission_error',
  'unsupported_value',
]);

export function isGenericCode(code: string): boolean {
  return GENERIC_CODES.has(code.toLowerCase());
}

/** Members that only some bodies have: their presence sends object() through the longer path. */
const RARE_KEYS = new Set([
  'request_id',
  'requestId',
  'RequestId',
  'tid',
  'trace_id',
  'statusCode',
  'status_code',
  'httpStatusCode',
  'http_status',
  'httpStatus',
  'http_code',
  'param',
  'cause',
  'response',
  '$response',
  'data',
  'success',
  'ok',
  'retry_after',
  'retryAfter',
  'estimated_time',
  'choices',
  'candidates',
  'promptFeedback',
  'prompt_feedback',
  'content',
  'usage',
  'usageMetadata',
  'object',
  'stop_reason',
  'details',
  '@type',
  'headers',
  'body',
  'metadata',
  'header',
  'Response',
  'errors',
  'base_resp',
  'detail',
  'error_description',
]);
const NESTED_STATUS_HOLDERS = ['param', 'cause', 'response', '$response', 'data'] as const;
/** error.type values that new-api/one-api relays write: the body came through a gateway. */
const RELAY_TYPES = new Set(['new_api_error', 'one_api_error', 'upstream_error', 'shell_api_error']);
const REQUEST_ID_SUFFIX = /\s*[(（]request id[:：]\s*([^)）]*)[)）]\s*$/i;
const STATUS_WORD = /^[A-Z][A-Z0-9_]{2,63}$/;
/** Finish and block reasons that mean the call did not give what was asked for. */
const FAILING_REASONS = new Set([
  'content_filter',
  'sensitive',
  'network_error',
  'refusal',
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'LANGUAGE',
  'OTHER',
  'MALFORMED_FUNCTION_CALL',
  'error',
]);

class Reader {
  layers: Layer[] = [];
  /** The body being read, and the last body number given out. */
  cur = 0;
  next = 0;
  info: ErrorInfo;
  constructor(sample: unknown) {
    this.info = {
      code: null,
      type: null,
      reason: null,
      status: null,
      topType: null,
      message: '',
      context: '',
      bracketCode: null,
      requestId: null,
      httpHint: null,
      relay: false,
      errno: null,
      exception: null,
      inband: null,
      success: false,
      failed: false,
      retryDelayMs: null,
      sample,
    };
  }

  layer(): Layer {
    const l: Layer = {
      body: this.cur,
      code: null,
      reason: null,
      type: null,
      status: null,
      bracketCode: null,
      message: '',
    };
    this.layers.push(l);
    return l;
  }

  addContext(text: string): void {
    if (text === '' || this.info.context.length > 4096) return;
    this.info.context = this.info.context === '' ? text : `${this.info.context} ${text}`;
  }

  /** An HTTP status stated somewhere: the innermost statement wins (a wrapper's status comes first). */
  hint(status: unknown): void {
    const n = typeof status === 'string' && /^\d{3}$/.test(status) ? Number(status) : status;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599) this.info.httpHint = n;
  }

  value(v: unknown, depth: number): void {
    if (depth > MAX_DEPTH) return;
    if (typeof v === 'string') this.text(v, depth);
    else if (Array.isArray(v)) {
      if (v.length > 0) this.value(v[0], depth + 1);
    } else if (typeof v === 'object' && v !== null) this.object(v as Record<string, unknown>, depth);
    else if (typeof v === 'number' || typeof v === 'boolean') this.layer().message = String(v);
  }

  text(raw: string, depth: number): void {
    // A server-sent event stream: the event that reports the failure, else the last one.
    if (depth < MAX_DEPTH && raw.includes('data:')) {
      const events = sseEvents(raw);
      if (events !== null) {
        let chosen: unknown = events[events.length - 1];
        for (const ev of events) {
          const probe = new Reader(ev);
          probe.value(ev, depth + 1);
          const p = probe.finish();
          if (p.failed || p.inband !== null || p.topType !== null) {
            chosen = ev;
            break;
          }
        }
        if (depth === 0 || this.info.sample === raw) this.info.sample = chosen;
        this.value(chosen, depth + 1);
        return;
      }
    }
    this.cur = ++this.next;
    // The Python SDKs' `Error code: 429 - {...}` (the commonest string form): status and body at once.
    const sdk = SDK_PREFIX.exec(raw);
    if (sdk !== null && raw.charCodeAt(raw.length - 1) === 125) {
      const parsed = parseOneObject(raw.slice(sdk[0].length));
      if (parsed !== undefined) {
        this.hint(Number(sdk[1]));
        if (depth === 0 || this.info.sample === raw) this.info.sample = parsed;
        this.layer().message = `Error code: ${sdk[1]}`;
        this.cur = ++this.next;
        this.value(parsed, depth + 1);
        return;
      }
    }
    // A text that is a JSON body and nothing else (the common relay and SDK `body` string): parsed as is.
    const first = raw.charCodeAt(0);
    if (first === 123 && raw.charCodeAt(raw.length - 1) === 125) {
      const parsed = parseOneObject(raw);
      if (parsed !== undefined) {
        if (depth === 0 || this.info.sample === raw) this.info.sample = parsed;
        this.layer();
        this.cur = ++this.next;
        this.value(parsed, depth + 1);
        return;
      }
    }
    const l = this.layer();
    const scan = scanText(raw);
    if (scan.status !== null) this.hint(scan.status);
    if (scan.bracketCode !== null) {
      l.bracketCode = scan.bracketCode;
      if (scan.bracketRequestId) this.info.requestId = scan.bracketRequestId;
    }
    this.info.errno ??= scan.errno;
    this.info.exception ??= scan.exception;
    this.info.inband ??= scan.finish;
    if (scan.statusWord !== null) l.status = scan.statusWord;
    if (scan.reason !== null) l.reason = scan.reason;
    if (scan.leadCode !== null && !SDK_CLASSES.has(scan.leadCode)) l.code = scan.leadCode;
    if (scan.fieldType !== null) l.type = scan.fieldType;
    if (scan.object !== undefined) {
      if (depth === 0 || this.info.sample === raw) this.info.sample = scan.object;
      l.message = scan.prose;
      this.addContext(scan.prose);
      this.cur = ++this.next;
      this.value(scan.object, depth + 1);
    } else {
      const m = raw.trim();
      noteRequestId(this, m);
      l.message = m;
    }
  }

  object(o: Record<string, unknown>, depth: number): void {
    const l = this.layer();
    const topType = str(o.type);
    if (topType !== null) this.info.topType ??= topType === 'error' || topType.endsWith('.failed') ? topType : null;
    if (typeof o.status === 'number') this.hint(o.status);
    // Most error objects carry only code/type/message/error/status: one pass over the keys says whether
    // any of the rarer members this reader knows about is there at all.
    let rare = false;
    for (const k in o) {
      if (RARE_KEYS.has(k)) {
        rare = true;
        break;
      }
    }
    if (rare) this.rareMembers(o, l);
    const err = o.error ?? o.Error ?? o.err;

    // Read this layer's own fields (a relay's code beside its nested error; the error object itself).
    readFields(this, o, l, err !== undefined && err !== null);
    const m =
      o.message ??
      o.msg ??
      o.error_msg ??
      o.errmsg ??
      o.errorMessage ??
      o.errorMsg ??
      o.error_message ??
      o.Message ??
      o.status_msg;
    if (typeof err === 'object' && err !== null) {
      this.info.failed = true;
      if (typeof m === 'string' && m !== '') this.addContext(m);
      this.value(err, depth + 1);
      return;
    }
    if (typeof err === 'string' && err !== '') {
      this.info.failed = true;
      if (typeof m === 'string' && m !== '') this.addContext(m);
      this.value(err, depth + 1);
      return;
    }
    if (rare && this.elsewhere(o, m, depth)) return;
    if (typeof m === 'string') setMessage(this, l, m, depth);
    else if (isObject(m) || Array.isArray(m)) this.value(m, depth + 1);
    if (!rare) return;
    const detail = o.detail ?? o.error_description ?? (typeof o.details === 'string' ? o.details : undefined);
    if (l.message === '' && detail !== undefined && detail !== null) {
      if (typeof detail === 'string') setMessage(this, l, detail, depth);
      else this.value(detail, depth + 1);
    }
  }

  /** Envelopes that keep the error somewhere else; true when one did (and was read). */
  elsewhere(o: Record<string, unknown>, m: unknown, depth: number): boolean {
    // A logged response `{"status":400,"body":"{...}"}` (or `content`).
    const body = o.body ?? (typeof o.content === 'string' && o.content.includes('{') ? o.content : undefined);
    if ((typeof body === 'string' && body.includes('{')) || isObject(body)) {
      if (typeof m === 'string' && m !== '') this.addContext(m);
      this.value(body, depth + 1);
      return true;
    }
    // OpenRouter keeps the upstream provider's body as text in `metadata.raw`; iFlytek answers in `header`.
    const meta = o.metadata;
    if (isObject(meta) && typeof meta.raw === 'string' && meta.raw.includes('{')) {
      if (typeof m === 'string' && m !== '') this.addContext(m);
      this.value(meta.raw, depth + 1);
      return true;
    }
    const header = o.header;
    if (isObject(header) && header.code !== undefined && header.code !== 0 && header.code !== '0') {
      this.info.failed = true;
      this.value(header, depth + 1);
      return true;
    }
    const resp = o.Response;
    if (isObject(resp)) {
      this.value(resp, depth + 1);
      return true;
    }
    const response = o.response;
    if (isObject(response) && (isObject(response.error) || response.status === 'failed')) {
      this.info.failed = true;
      this.value(response.error ?? response, depth + 1);
      return true;
    }
    if (Array.isArray(o.errors) && o.errors.length > 0 && (o.success === false || o.result === null || !o.data)) {
      this.info.failed = true;
      this.value(o.errors[0], depth + 1);
      return true;
    }
    const baseResp = o.base_resp;
    if (isObject(baseResp) && baseResp.status_code !== 0 && baseResp.status_code !== undefined) {
      this.info.failed = true;
      this.value({ code: baseResp.status_code, message: baseResp.status_msg }, depth + 1);
      return true;
    }
    return false;
  }

  /** Request ids, statuses one level down, retry hints, completion shapes, Google details, AWS headers. */
  rareMembers(o: Record<string, unknown>, l: Layer): void {
    this.info.requestId ??= str(o.request_id) ?? str(o.requestId) ?? str(o.RequestId) ?? str(o.tid) ?? str(o.trace_id);
    // HTTP status fields of SDK error objects and relays.
    this.hint(o.statusCode ?? o.status_code ?? o.httpStatusCode ?? o.http_status ?? o.httpStatus ?? o.http_code);
    // SDK error objects keep the response's status one level down (`param`, `cause`, `response`).
    for (const k of NESTED_STATUS_HOLDERS) {
      const h = o[k];
      if (isObject(h)) this.hint(h.statusCode ?? h.status_code ?? h.httpStatusCode ?? h.status);
    }
    if (o.success === false || o.ok === false) this.info.failed = true;
    // Seconds to wait, written in the body (`retry_after`, Hugging Face's `estimated_time`).
    const wait = o.retry_after ?? o.retryAfter ?? o.estimated_time;
    if (typeof wait === 'number' && Number.isFinite(wait) && wait >= 0)
      this.info.retryDelayMs ??= Math.round(wait * 1000);
    this.successShape(o);
    this.details(o.details, l);
    if (typeof o['@type'] === 'string' && typeof o.reason === 'string' && STATUS_WORD.test(o.reason))
      l.reason = o.reason;
    // AWS event-stream and REST errors name their type in a header (`:exception-type`, `x-amzn-ErrorType`).
    const headers = o.headers;
    if (isObject(headers)) {
      const t = str(headers[':exception-type']) ?? str(headers['x-amzn-ErrorType']) ?? str(headers['x-amzn-errortype']);
      if (t !== null) l.type = t.split(':')[0]!;
    }
  }

  /** Choices/candidates/content/usage: a completion. Their finish or block reasons may still say it failed. */
  successShape(o: Record<string, unknown>): void {
    const choices = o.choices ?? o.candidates;
    if (Array.isArray(choices)) {
      if (choices.length > 0) this.info.success = true;
      for (const c of choices.slice(0, 8)) {
        if (!isObject(c)) continue;
        const fr = str(c.finish_reason) ?? str(c.finishReason) ?? str(c.stop_reason);
        if (fr !== null && FAILING_REASONS.has(fr)) {
          this.info.inband ??= fr;
          const fm = str(c.finishMessage) ?? str(c.finish_message);
          if (fm !== null) this.addContext(fm);
        }
      }
    }
    const feedback = o.promptFeedback ?? o.prompt_feedback;
    if (isObject(feedback)) {
      const br = str(feedback.blockReason) ?? str(feedback.block_reason);
      if (br !== null && br !== 'BLOCK_REASON_UNSPECIFIED') {
        this.info.inband ??= br;
        this.addContext(`prompt blocked: ${br}`);
      }
    }
    if (Array.isArray(o.content) || isObject(o.usage) || isObject(o.usageMetadata)) this.info.success = true;
    if (typeof o.object === 'string' && o.object.startsWith('chat.completion')) this.info.success = true;
    const stop = str(o.stop_reason);
    if (stop === 'refusal') this.info.inband ??= stop;
  }

  /** Gemini `details`: RetryInfo.retryDelay and QuotaFailure violations (which say per day / per minute). */
  details(d: unknown, l: Layer): void {
    if (!Array.isArray(d)) return;
    for (const item of d.slice(0, 8)) {
      if (!isObject(item)) continue;
      const delay = str(item.retryDelay);
      if (delay !== null && this.info.retryDelayMs === null) {
        const m = /^(\d+(?:\.\d+)?)s$/.exec(delay);
        if (m) this.info.retryDelayMs = Math.round(Number(m[1]) * 1000);
      }
      if (Array.isArray(item.violations)) {
        for (const v of item.violations.slice(0, 8)) {
          if (!isObject(v)) continue;
          const parts = [
            str(v.quotaId),
            str(v.quotaMetric),
            v.quotaValue !== undefined ? `limit: ${v.quotaValue}` : null,
          ];
          this.addContext(parts.filter((p) => p !== null).join(' '));
        }
      }
      const reason = str(item.reason);
      if (reason !== null && /^[A-Z][A-Z0-9_]{2,63}$/.test(reason)) l.reason ??= reason;
    }
  }

  finish(): ErrorInfo {
    const info = this.info;
    // The innermost layer that carries a code decides the code; the innermost message is the message.
    // First the innermost layer with a real code; a generic type (`invalid_request_error`) only when none has one.
    // Across bodies the innermost one with a code wins (a wrapper's code only when nothing inside has one);
    // within one body, a specific code beats a generic type beside it (`error_code: 10105` vs `invalid_request_error`).
    let body = -1;
    for (const x of this.layers) if (hasCode(x) && x.body > body) body = x.body;
    let pick = -1;
    for (let i = this.layers.length - 1; i >= 0 && pick < 0; i--) {
      const x = this.layers[i]!;
      if (x.body === body && hasSpecificCode(x)) pick = i;
    }
    for (let i = this.layers.length - 1; i >= 0 && pick < 0; i--) {
      const x = this.layers[i]!;
      if (x.body === body && hasCode(x)) pick = i;
    }
    if (pick >= 0) {
      const i = pick;
      const l = this.layers[i]!;
      info.code = l.code;
      info.reason = l.reason;
      info.type = l.type;
      info.status = l.status;
      info.bracketCode = l.bracketCode;
      // An outer bracket code (`[1113]` in a relay's text) counts when the chosen layer has no code field.
      if (info.code === null && info.bracketCode === null) {
        for (let j = i - 1; j >= 0; j--) {
          const o = this.layers[j]!;
          if (o.bracketCode !== null) {
            info.bracketCode = o.bracketCode;
            break;
          }
        }
      }
    }
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const m = this.layers[i]!.message;
      if (m !== '') {
        info.message = m;
        break;
      }
    }
    return info;
  }
}

function hasSpecificCode(l: Layer): boolean {
  return (
    (l.code !== null && !HTTP_ERROR_STATUS.test(l.code)) ||
    l.reason !== null ||
    l.status !== null ||
    l.bracketCode !== null ||
    (l.type !== null && !isGenericCode(l.type))
  );
}

function hasCode(l: Layer): boolean {
  return l.code !== null || l.reason !== null || l.type !== null || l.status !== null || l.bracketCode !== null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string value; '' and the stringified nothings of other languages (`None`, `null`) are none. */
function str(v: unknown): string | null {
  if (typeof v === 'string') return v === '' || NOTHING.has(v) ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function readFields(r: Reader, e: Record<string, unknown>, l: Layer, hasNested: boolean): void {
  const code = e.code ?? e.Code;
  const status = e.status;
  if (typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599 && typeof status === 'string') {
    // Gemini: `code` is the HTTP status, `status` the real code.
    r.hint(code);
  } else if (!(hasNested && (code === 200 || code === 0 || code === '0'))) {
    l.code = str(code) ?? str(e.error_code) ?? str(e.errcode) ?? str(e.err_code) ?? str(e.errorCode) ?? null;
  }
  const type = str(e.type) ?? str(e.error_type) ?? str(e.errorType) ?? str(e.__type);
  if (type !== null && !NOT_TYPES.has(type) && !type.endsWith('.failed')) l.type = type;
  if (type !== null && RELAY_TYPES.has(type)) r.info.relay = true;
  if (typeof status === 'string' && STATUS_WORD.test(status)) l.status = status;
  else if (typeof status === 'string' && /^\d{3}$/.test(status)) r.hint(status);
  if (l.code !== null && /^[A-Z][A-Za-z]+(?:Exception|Fault)$/.test(l.code)) r.info.exception ??= l.code;
  // AWS SDK v3 errors serialised: `{"name":"ThrottlingException","$fault":"client","$metadata":{...}}`.
  const name = str(e.name);
  if (name !== null && /^[A-Z][A-Za-z]+(?:Exception|Fault)$/.test(name)) {
    r.info.exception ??= name;
    l.type ??= name;
  }
  const meta = e.$metadata;
  if (isObject(meta)) r.hint(meta.httpStatusCode);
  if (e.$fault !== undefined) r.info.failed = true;
  if (type !== null && /^[A-Z][A-Za-z]+(?:Exception|Fault)$/.test(type)) r.info.exception ??= type;
  if (l.code === '0' || l.code === '200') {
    if (!hasNested) l.code = null;
  }
}

function setMessage(r: Reader, l: Layer, message: string, depth = 0): void {
  const m = message;
  // A relay may put the upstream body (JSON) or a whole SDK string in the message: read it as an inner layer.
  const c = m.trimStart().charCodeAt(0);
  // `[{...}]` is a body; `[1310][...]` (a bracket code) is not.
  if (depth < MAX_DEPTH && (c === 123 || (c === 91 && /^\s*\[\s*[{[]/.test(m)) || m.includes('{'))) {
    const probe = new Reader(undefined);
    probe.text(m, depth + 1);
    if (probe.layers.length > 1) {
      // The message held a body (a relay's upstream answer, a whole SDK string): its layers go inside this one.
      const inner = probe.finish();
      const base = r.next;
      for (const x of probe.layers) x.body += base;
      r.next += probe.next;
      r.layers.push(...probe.layers);
      if (inner.httpHint !== null) r.info.httpHint = inner.httpHint;
      r.info.requestId ??= inner.requestId;
      r.info.errno ??= inner.errno;
      r.info.exception ??= inner.exception;
      r.info.retryDelayMs ??= inner.retryDelayMs;
      r.info.inband ??= inner.inband;
      if (inner.failed) r.info.failed = true;
      if (inner.relay) r.info.relay = true;
      if (inner.context !== '') r.addContext(inner.context);
      l.message = inner.message || m;
      return;
    }
  }
  noteRequestId(r, m);
  // The structure already named the error: no full scan of the message.
  if (hasSpecificCode(l) && (l.code === null || !HTTP_ERROR_STATUS.test(l.code))) {
    // Only a bracket (`[1310][text][request id]`) or a stated status can add to it.
    if (m.includes('[')) {
      const b = bracketIn(m);
      if (b !== null) {
        l.bracketCode ??= b.code;
        if (b.requestId) r.info.requestId = b.requestId;
      }
    }
    if (r.info.httpHint === null) r.hint(statusIn(m));
    l.message = m;
    return;
  }
  const scan = scanText(m);
  if (scan.bracketCode !== null) {
    l.bracketCode ??= scan.bracketCode;
    if (scan.bracketRequestId) r.info.requestId = scan.bracketRequestId;
  }
  if (scan.status !== null) r.hint(scan.status);
  r.info.errno ??= scan.errno;
  r.info.exception ??= scan.exception;
  if (l.code === null && l.type === null && l.status === null) {
    if (scan.leadCode !== null && !SDK_CLASSES.has(scan.leadCode)) l.code = scan.leadCode;
    else if (scan.statusWord !== null) l.status = scan.statusWord;
    if (scan.fieldType !== null) l.type = scan.fieldType;
  }
  if (scan.reason !== null) l.reason ??= scan.reason;
  l.message = m;
}

const SSE_DATA = /^data:[ \t]?(.*)$/gm;
const MAX_EVENTS = 64;

/** The JSON events of an SSE text (two or more), or null when it is not one. */
function sseEvents(raw: string): unknown[] | null {
  const events: unknown[] = [];
  SSE_DATA.lastIndex = 0;
  for (let m = SSE_DATA.exec(raw); m !== null && events.length < MAX_EVENTS; m = SSE_DATA.exec(raw)) {
    const d = m[1]!.trim();
    if (d.charCodeAt(0) !== 123) continue;
    try {
      events.push(JSON.parse(d));
    } catch {
      // a cut event: skipped
    }
  }
  return events.length > 1 ? events : null;
}

const SDK_PREFIX = /^\s*Error code:\s*([1-5]\d\d)\s*(?:,\s*with error text|-)?\s*(?=\{)/;

/** The text as one object (scan.ts's parser: JSON, Python repr, JS literal), or undefined. */
function parseOneObject(text: string): unknown {
  const v = parseObject(text);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
}

/** A relay's `(request id: ...)` suffix. */
function noteRequestId(r: Reader, m: string): void {
  if (
    m.includes('(request id') ||
    m.includes('(Request id') ||
    m.includes('(Request ID') ||
    m.includes('（request id')
  ) {
    const rid = REQUEST_ID_SUFFIX.exec(m);
    if (rid) {
      r.info.relay = true;
      r.info.requestId ??= rid[1]!.trim() || null;
    }
  }
}

/** Structured fields of an error body of any shape. Never throws on plain JSON data. */
export function extractError(value: unknown): ErrorInfo {
  const r = new Reader(value);
  r.value(value, 0);
  return r.finish();
}
