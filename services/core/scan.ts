// A bounded scanner for error text as logs carry it: SDK and CLI strings that put the HTTP status and the
// provider's JSON (or a Python dict repr) anywhere in a line, bracket codes anywhere, errno and exception
// names. One pass of a few regexes over at most SCAN_MAX characters; no regex per tool. Pure.
import { pythonReprToJson } from './python-repr.js';

/** Only the head of a text is scanned: real error lines are short, and a huge body must not cost much. */
const SCAN_MAX = 16_384;
/** At most this many `{` positions are tried as the start of an embedded object. */
const MAX_OBJECT_TRIES = 6;

export interface TextScan {
  /** HTTP status the text states (`Error code: 429`, `status 402`, `状态码 400`, `[400 Bad Request]`), or null. */
  status: number | null;
  /** The embedded object (parsed JSON or Python repr), or undefined. */
  object: unknown;
  /** The text with the embedded object cut out (prefix and suffix), trimmed. */
  prose: string;
  /** Business code of a `[1310]` bracket anywhere in the text. */
  bracketCode: string | null;
  /** The `[text]` right after the bracket code, when there is one. */
  bracketMessage: string | null;
  /** The third bracket (`[1310][text][request id]`). */
  bracketRequestId: string | null;
  /** Node/OS errno or undici code named in the text (`ECONNRESET`). */
  errno: string | null;
  /** A provider-side exception/error type name (`ThrottlingException`, `ValidationException`). */
  exception: string | null;
  /** An upper-case status word right after the status (`429 RESOURCE_EXHAUSTED`). */
  statusWord: string | null;
  /** Google's ErrorInfo reason printed as text (`reason: "API_KEY_INVALID"`). */
  reason: string | null;
  /** A failing finish reason written in a dumped response (`"finish_reason": "content_filter"`). */
  finish: string | null;
  /** A code-shaped token leading the text (`insufficient_quota: ...`, `4006: ...`) or written as a field. */
  leadCode: string | null;
  /** An error type written as a field in free text (`type: authentication_error`). */
  fieldType: string | null;
}

// A status is a 3-digit number where the text says so (keyword before it) or in status position
// (start of the text, or before an HTTP reason phrase). Never part of a longer number.
const STATUS_KEYWORD =
  /(?:status[ _-]?code|status|http[ _]?status|http(?:\/\d(?:\.\d)?)?|error[ _-]?code|err[ _-]?code|statusCode|httpStatusCode|response code|response|状态码|状态|api error|error|exception|code)["'\]]?\s*(?:[:=：]\s*|\(\s*|\s+(?:is|was|of|=)\s+|\s+)["']?([1-5]\d\d)(?!\d|[.,]\d)/gi;
const STATUS_LEADING = /^[\s[(]*([1-5]\d\d)(?!\d|[.,:]\d)\s*(?:[-:]\s*)?(?=[A-Za-z{"'\u4e00-\u9fff[]|$)/;
const STATUS_AFTER_COLON = /(?:[:：]|\])\s+\[?([1-5]\d\d)(?!\d|[.,:]\d)\]?\s+(?=[A-Z"'{[(\u4e00-\u9fff])/g;
// `Request rejected (429)`, `<400> InternalError...`, `HTTP请求失败: 500,`, `529 {...}` (the object cut out).
const STATUS_MARKED =
  /\(([1-5]\d\d)\)|<([1-5]\d\d)>|(?:http|状态|失败|failed|failure)[^\d\n]{0,12}?[:：]\s+([1-5]\d\d)(?!\d)|(?<![\d.:])([1-5]\d\d)\s*[-:]?\s*\{…\}/gi;
const STATUS_WORD_AFTER =
  /^(?:\s+[A-Z][a-z]+(?=[\s:)]))*[\s\]>)]*[-:.]?\s*([A-Z][A-Z_]{3,}\b|[A-Z][A-Za-z]+(?:\.[A-Z][A-Za-z]+)+|[a-z]+(?:[-_][a-z]+)+(?=:))/;
/** Stack frames (`    at fn (file.js:494:9)`) say nothing about the status. */
const STACK_FRAME = /\n\s*at .*/g;
const NOT_STATUS_WORDS = new Set([
  'HTTP',
  'HTTPS',
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'ERROR',
]);
const FINISH_IN_TEXT =
  /["']?finish_?[rR]eason["']?\s*[:=]\s*["']?(content_filter|sensitive|network_error|SAFETY|RECITATION|PROHIBITED_CONTENT|BLOCKLIST|SPII)\b/;
const GRPC_STATUS = /\bStatusCode\.([A-Z][A-Z_]{3,})\b/;
const GOOGLE_REASON = /\breason['"]?\s*[:=]\s*['"]([A-Z][A-Z0-9_]{3,})['"]/;
const REASON_PHRASE =
  /(?<![\d.])([1-5]\d\d)\s+(?:too many requests|bad request|unauthori[sz]ed|forbidden|not found|payment required|internal server error|service unavailable|bad gateway|gateway time-?out|request time-?out|unprocessable (?:entity|content)|conflict|(?:request entity|payload|content) too large|method not allowed|not implemented|overloaded|authorization required)\b/gi;
const THREE_DIGITS = /(?<!\d)[1-5]\d\d(?!\d)/;
const STATUS_PATTERNS = [STATUS_KEYWORD, STATUS_AFTER_COLON, STATUS_MARKED, REASON_PHRASE];
// `[1310][text][request id]`, `[1261] Prompt exceeds ...` (not a log prefix like `[65373] 3.24 ...`), and a code in
// parentheses after the message (`insufficient balance (1008)`; years are not codes).
const BRACKET_CODE =
  /\[(\d{4,6}|[a-z]+(?:_[a-z0-9]+)+)\](?:\s*\[([^\]]*)\](?:\s*\[([^\]]*)\])?|(?<=(?:^|[:：\]|>-]\s*)\[\w+\])(?=\s*[^\d\s.]))/;
const PAREN_CODE = /(?<!token|tokens|count|length|size|limit|max|id|line)\s\(((?!19\d\d\)|20\d\d\))\d{4})\)/i;
// `Code:11200`, `"code": "1302"` in a body cut short.
const CODE_FIELD = /\bcode\b["']?\s*[:=：]\s*["']?(\d{4,6})\b/i;
// `code: 'model_decommissioned'` (a JS object dumped after a stack), `Code: Arrearage,`, `ErrorCode: 1214`,
// `map[code:model_not_found ...]` (Go), `type: authentication_error` (quotes stripped by the app).
// A value cut short (`"code":"invalid_req (truncated...)`, or the text's last characters) is not a code.
const FIELD_CODE =
  /(?<!exit |return |status |http )\b(?:error[_ ]?code|err[_ ]?code|code)\b["']?\s*[:=：]\s*(?:["']([^"'\s]{1,63})["']|(?!(?:null|none|nil|undefined|unknown|http|[1-5]\d\d)\b)([A-Za-z0-9][\w.-]{1,63}?)(?=[\s,;\]})]|$)(?!\s*\(truncated))/gi;
const FIELD_TYPE =
  /\berror[_ ]?type["']?\s*[:=]\s*["']?(?!(?:null|none|nil)\b)([A-Za-z][\w.-]{1,63})|\btype["']?\s*[:=]\s*(?:["']([A-Za-z][\w.-]{2,63})["']|([a-z]+(?:_[a-z0-9]+)+))/g;
// `... error: InvalidApiKey - Invalid API-key provided.`
const DASH_CODE = /[:：]\s+([A-Z][a-z]+(?:[A-Z][a-z]*)+(?:\.[A-Z][A-Za-z]+)*)\s+-\s/;
// botocore: `An error occurred (ThrottlingException) when calling the InvokeModel operation`.
const AWS_CODE = /An error occurred \(([A-Za-z][A-Za-z.]+)\)/;
// A code-shaped token leading the text: `insufficient_quota: ...`, `4006: ...`, `AccountOverdueError: 403`.
const LEAD_CODE =
  /^(?:\[[^\]]{0,40}\]\s*)?(?:(?:[A-Za-z]+\.)*[A-Za-z]*Error:\s+)?(?!(?:status_code|error_code|err_code|request_id|http_status|error_type|error_msg|status|code)\b)(?:([a-z]+(?:_[a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|\d{4,6}|[A-Z][a-z]+(?:[A-Z][a-z]+)+(?:Error|Exception))\s*:\s|([a-z]+(?:_[a-z0-9]+){2,})\s+\S)/;
// `BlockedReason.PROHIBITED_CONTENT`, `status: PERMISSION_DENIED`, `(Status: FAILED_PRECONDITION)`.
const ENUM_WORD =
  /\b[A-Z][A-Za-z]+\.([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b|\b[Ss]tatus["']?\s*[:=]\s*["']?\s*([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{4,})\b/;
// Full-width punctuation typed through an input method, and curly quotes, read as their ASCII forms.
const WIDE = /[｛｝：，“”]/;
const WIDE_MAP: Record<string, string> = { '｛': '{', '｝': '}', '：': ':', '，': ',', '“': '"', '”': '"' };
const ERRNO =
  /\b(ECONNRESET|ECONNREFUSED|ECONNABORTED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ESOCKETTIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|UND_ERR_[A-Z_]+|ERR_[A-Z][A-Z_]{3,})\b/;
// Provider-side error type names (AWS, Azure, Tencent style): words ending in Exception/Error/Fault with at
// least two capitalised parts. Client-SDK class names (RateLimitError ...) are left out by the caller.
const EXCEPTION = /\b((?:[A-Z][a-z0-9]+|AI){1,6}(?:Exception|Fault))\b/g;

/** Reads what a free-text error says about itself. Never throws. */
export function scanText(text: string): TextScan {
  let t = text.length > SCAN_MAX ? text.slice(0, SCAN_MAX) : text;
  if (WIDE.test(t)) t = t.replace(/[｛｝：，“”]/g, (c) => WIDE_MAP[c]!);
  // A Python repr printed inside another repr escapes its quotes: `{\'error\': {...}}`.
  if (t.includes("{\\'")) t = t.replace(/\\'/g, "'");
  const found = findObject(t);
  // The object is cut out and marked, so `529 {...}` still reads as a status before a body.
  const prose = found ? `${t.slice(0, found.start)} {…} ${t.slice(found.end)}`.trim() : t.trim();
  // A body cut short (`{"error":{"code":"1302","message":"Rate limit reached for req...`) still names its code.
  const hasCodeWord = /code/i.test(prose);
  const bracket =
    (prose.includes('[') ? BRACKET_CODE.exec(prose) : null) ??
    (hasCodeWord ? CODE_FIELD.exec(prose) : null) ??
    (prose.includes('(') ? PAREN_CODE.exec(prose) : null);
  const lead = (prose.includes('(') ? AWS_CODE.exec(prose) : null) ?? LEAD_CODE.exec(prose);
  const enumWord = ENUM_WORD.exec(prose);
  const errno = prose.includes('E') ? ERRNO.exec(prose) : null;
  const exception = prose.includes('Exception') || prose.includes('Fault') ? providerException(prose) : null;
  // The status that goes with the embedded body is the last one stated before it; else the last one at all.
  const mark = found ? prose.indexOf('{…}') : -1;
  const status = (mark > 0 ? statusAt(prose.slice(0, mark)) : null) ?? statusAt(prose);
  const word = status === null ? null : STATUS_WORD_AFTER.exec(status.after);
  const reason = prose.includes('reason') ? GOOGLE_REASON.exec(prose) : null;
  return {
    status: status?.status ?? null,
    object: found?.value,
    prose,
    bracketCode: bracket ? bracket[1]! : null,
    bracketMessage: bracket?.[2] ?? null,
    bracketRequestId: bracket?.[3]?.trim() || null,
    errno: errno ? errno[1]! : null,
    exception,
    statusWord:
      word && !NOT_STATUS_WORDS.has(word[1]!)
        ? word[1]!
        : (GRPC_STATUS.exec(prose)?.[1] ?? (enumWord ? (enumWord[1] ?? enumWord[2])! : null)),
    leadCode: lead ? (lead[1] ?? lead[2])! : ((hasCodeWord ? fieldCode(prose) : null) ?? dashCode(prose)),
    fieldType: fieldType(prose),
    finish: t.includes('inish') ? (FINISH_IN_TEXT.exec(t)?.[1] ?? null) : null,
    reason: reason ? reason[1]! : null,
  };
}

function dashCode(text: string): string | null {
  const m = DASH_CODE.exec(text);
  return m && !isWrapperException(m[1]!) ? m[1]! : null;
}

function isWrapperException(name: string): boolean {
  return name.endsWith('Exception') && WRAPPER_EXCEPTIONS.has(name.slice(0, -9).toLowerCase().replace(/[_-]/g, ''));
}

function fieldCode(text: string): string | null {
  if (!/code/i.test(text)) return null;
  FIELD_CODE.lastIndex = 0;
  for (let m = FIELD_CODE.exec(text); m !== null; m = FIELD_CODE.exec(text)) {
    const v = (m[1] ?? m[2])!.replace(/[.,-]+$/, '');
    // Client-library codes (axios `ERR_BAD_REQUEST`, errno `ECONNRESET`) are read as errno, not as the provider's.
    if (v !== '' && !/^(?:null|none|nil|undefined|unknown|[1-5]\d\d|-?\d{9,}|ERR_[A-Z_]+)$/i.test(v)) return v;
  }
  return null;
}

function fieldType(text: string): string | null {
  if (!text.includes('type')) return null;
  FIELD_TYPE.lastIndex = 0;
  for (let m = FIELD_TYPE.exec(text); m !== null; m = FIELD_TYPE.exec(text)) {
    const v = (m[1] ?? m[2] ?? m[3])!;
    if (v !== 'error' && !v.endsWith('.failed') && !/^(?:none|null|nil|undefined|unknown)$/i.test(v)) return v;
  }
  return null;
}

/** LiteLLM names its wrappers after the provider (`AzureException - ...`): those are not the provider's code. */
const WRAPPER_EXCEPTIONS = new Set([
  'azure',
  'openai',
  'anthropic',
  'bedrock',
  'vertexai',
  'vertex',
  'gemini',
  'huggingface',
  'cerebras',
  'deepseek',
  'dashscope',
  'groq',
  'mistral',
  'ollama',
  'replicate',
  'cohere',
  'sagemaker',
  'databricks',
  'watsonx',
  'perplexity',
  'openrouter',
  'together',
  'fireworks',
  'xai',
  'litellm',
  'request',
  'api',
  'http',
  'runtime',
  'value',
  'type',
  'client',
  'service',
]);

/** The first exception name in the text that is the provider's, not a wrapper's. */
function providerException(text: string): string | null {
  EXCEPTION.lastIndex = 0;
  for (let m = EXCEPTION.exec(text); m !== null; m = EXCEPTION.exec(text)) {
    const name = m[1]!;
    if (!isWrapperException(name)) return name;
  }
  return null;
}

/** The bracket code of a text (`[1310][text][request id]`), or null. */
export function bracketIn(text: string): { code: string; requestId: string | null } | null {
  const b = BRACKET_CODE.exec(text.length > SCAN_MAX ? text.slice(0, SCAN_MAX) : text);
  return b ? { code: b[1]!, requestId: b[3]?.trim() || null } : null;
}

/** The HTTP status a text states, by keyword or position; null when it states none. */
export function statusIn(text: string): number | null {
  return statusAt(text)?.status ?? null;
}

/** The last status the text states (wrappers come first, the provider's own answer last). */
function statusAt(text: string): { status: number; after: string } | null {
  if (!THREE_DIGITS.test(text)) return null;
  const t = text.includes('\n') ? text.replace(STACK_FRAME, '') : text;
  let best: { status: number; end: number; at: number } | null = null;
  const lead = STATUS_LEADING.exec(t);
  if (lead) best = { status: Number(lead[1]), end: lead[0].length, at: 0 };
  for (const re of STATUS_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(t); m !== null; m = re.exec(t)) {
      if (best === null || m.index > best.at) {
        best = { status: Number(m[1] ?? m[2] ?? m[3] ?? m[4]), end: m.index + m[0].length, at: m.index };
      }
    }
  }
  return best === null ? null : { status: best.status, after: t.slice(best.end, best.end + 200) };
}

interface Found {
  value: unknown;
  start: number;
  end: number;
}

/** The first balanced `{...}` in the text that parses as JSON or as a Python dict repr. */
function findObject(t: string): Found | null {
  let from = 0;
  for (let tries = 0; tries < MAX_OBJECT_TRIES; tries++) {
    const start = t.indexOf('{', from);
    if (start < 0) return null;
    const end = /^\{\s*\\"/.test(t.slice(start, start + 8)) ? matchEscapedBrace(t, start) : matchBrace(t, start);
    if (end < 0) {
      from = start + 1;
      continue;
    }
    const src = t.slice(start, end + 1);
    const value = parseObject(src);
    if (value !== undefined) {
      // `[{...}]`: Gemini streams wrap the error in a one-element array.
      let s = start;
      let e = end + 1;
      const before = t.lastIndexOf('[', start);
      if (before >= 0 && t.slice(before + 1, start).trim() === '') {
        const after = t.indexOf(']', e);
        if (after >= 0 && t.slice(e, after).trim() === '') {
          s = before;
          e = after + 1;
        }
      }
      return { value, start: s, end: e };
    }
    from = start + 1;
  }
  return null;
}

/** Index of the brace closing the one at `start`, skipping quoted strings; -1 when unbalanced. */
function matchBrace(t: string, start: number): number {
  let depth = 0;
  let quote = 0;
  for (let i = start; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (quote !== 0) {
      if (c === 92)
        i++; // backslash
      else if (c === quote) quote = 0;
      continue;
    }
    if (c === 34 || c === 39) {
      // A quote starts a string only in a key/value position, not inside a word (`it's`).
      // A Python bytes/raw prefix (`: b'{...}'`) still opens one.
      const prev = t.charCodeAt(i - 1);
      const isLetter = (x: number) => (x >= 65 && x <= 90) || (x >= 97 && x <= 122);
      const prefix = (prev === 98 || prev === 114) && !isLetter(t.charCodeAt(i - 2));
      if (c === 39 && isLetter(prev) && !prefix) continue;
      quote = c;
    } else if (c === 123) depth++;
    else if (c === 125) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Like matchBrace for JSON that was escaped into a string once (`{\"error\":{\"code\":404}}`). */
function matchEscapedBrace(t: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 92) {
      const next = t.charCodeAt(i + 1);
      if (next === 34) {
        inString = !inString;
        i++;
      } else if (next === 92) {
        // `\\\"` is a quote escaped inside the escaped string; `\\n` an escaped escape.
        i += t.charCodeAt(i + 2) === 92 && t.charCodeAt(i + 3) === 34 ? 3 : 1;
      }
      continue;
    }
    if (inString) continue;
    if (c === 123) depth++;
    else if (c === 125) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** A `{...}` text parsed as JSON, else as a Python dict repr or JS literal (the forms logs print); undefined when none. */
export function parseObject(src: string): unknown {
  const dq = src.indexOf('"');
  const sq = src.indexOf("'");
  if (sq >= 0 && (dq < 0 || sq < dq)) {
    const json = pythonReprToJson(src);
    if (json !== null) {
      try {
        return JSON.parse(json);
      } catch {
        // not a repr after all
      }
    }
  }
  try {
    return JSON.parse(src);
  } catch {
    // A log line that kept the message's raw line breaks inside a JSON string.
    if (/[\n\r\t]/.test(src)) {
      try {
        return JSON.parse(escapeControls(src));
      } catch {
        // fall through
      }
    }
    // A repr nested in another repr: `{\'error\': {\'message\': "..."}}`.
    if (src.includes("\\'")) {
      const json = pythonReprToJson(src.replace(/\\'/g, "'"));
      if (json !== null) {
        try {
          return JSON.parse(json);
        } catch {
          // fall through
        }
      }
    }
    // A body printed with literal `\n` between its tokens, or a JS object literal (`{ code: 'x' }`).
    if (src.includes('\\n')) {
      try {
        return JSON.parse(escapeControls(src.replace(/\\n/g, '\n').replace(/\\"/g, '"')));
      } catch {
        // fall through
      }
    }
    if (/[{,]\s*[A-Za-z_$][\w$]*\s*:/.test(src)) {
      const quoted = src.replace(/([{,]\s*)([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":').replace(/:\s*undefined\b/g, ': null');
      const json = quoted.includes("'") ? pythonReprToJson(quoted) : quoted;
      if (json !== null) {
        try {
          return JSON.parse(escapeControls(json));
        } catch {
          // fall through
        }
      }
    }
    // JSON that was itself escaped into a log string: `{\"error\":{...}}`.
    if (src.includes('\\"')) {
      try {
        return JSON.parse(src.replace(/\\(["\\/])/g, '$1'));
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

/** Escapes raw control characters inside JSON strings (outside them they are whitespace). */
function escapeControls(src: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (inString) {
      if (ch === '\\') {
        out += ch + (src[i + 1] ?? '');
        i++;
        continue;
      }
      if (ch === '"') inString = false;
      else if (ch === '\n') {
        out += '\\n';
        continue;
      } else if (ch === '\r') {
        out += '\\r';
        continue;
      } else if (ch === '\t') {
        out += '\\t';
        continue;
      }
    } else if (ch === '"') inString = true;
    out += ch;
  }
  return out;
}
