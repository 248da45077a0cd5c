// Reads the structured fields out of every real error-body shape: OpenAI/new-api `{"error":{code,type,message}}`,
// Anthropic `{"type":"error","error":{type,message},"request_id"}`, Gemini `{"error":{code,status,message}}`
// (or a one-element array of it), Zhipu v3 `{"code":1261,"msg":...}`, JSON held in a string, SDK strings
// (`Error code: 429, with error text {...}` / `Error code: 429 - {python dict}`), bracket messages
// (`[1310][text][request id]`) and relays that wrap an upstream body in the message.
import { pythonReprToJson } from './text.js';

export interface ErrorInfo {
  /** `error.code` (business code or code string) as a string. */
  code: string | null;
  /** `error.type` (Anthropic/OpenAI type, or a business code moved there by a relay). */
  type: string | null;
  /** Gemini's `error.status` (`RESOURCE_EXHAUSTED`). */
  status: string | null;
  /** Top-level `type` (`error` for Anthropic bodies). */
  topType: string | null;
  message: string;
  /** Business code from a `[1310][...]` bracket message. */
  bracketCode: string | null;
  requestId: string | null;
  /** HTTP status found in the body (SDK string prefix, Gemini numeric `error.code`). */
  httpHint: number | null;
  /** True when the text looked like a relay (`(request id: ...)` suffix, new-api error types). */
  relay: boolean;
  /** The value to store as the raw sample (parsed JSON when the body was JSON text). */
  sample: unknown;
}

const SDK_PREFIX = /^\s*Error code:\s*(\d{3})\s*(?:,\s*with error text|-)?\s*/i;
const STATUS_PREFIX = /^[1-5]\d\d\s+[A-Za-z{]/;
const BRACKET = /^\s*\[(\d{2,6})\]\[([\s\S]*?)\](?:\[([^[\]]*)\])?\s*$/;
const BRACKET_GREEDY = /^\s*\[(\d{2,6})\]\[([\s\S]*)\]\[([^[\]]*)\]\s*$/;
const REQUEST_ID_SUFFIX = /\s*\(request id:\s*([^)]*)\)\s*$/i;

function s(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function newInfo(sample: unknown): ErrorInfo {
  return {
    code: null,
    type: null,
    status: null,
    topType: null,
    message: '',
    bracketCode: null,
    requestId: null,
    httpHint: null,
    relay: false,
    sample,
  };
}

/** Structured fields of an error body of any shape. Never throws on plain JSON data. */
export function extractError(value: unknown): ErrorInfo {
  return fromValue(value, 0, newInfo(value));
}

function fromValue(value: unknown, depth: number, info: ErrorInfo): ErrorInfo {
  if (depth > 4) return info;
  if (typeof value === 'string') return fromText(value, depth, info);
  if (Array.isArray(value)) return value.length > 0 ? fromValue(value[0], depth + 1, info) : info;
  if (typeof value === 'object' && value !== null) return fromObject(value as Record<string, unknown>, depth, info);
  if (typeof value === 'number' || typeof value === 'boolean') info.message ||= String(value);
  return info;
}

function fromText(text: string, depth: number, info: ErrorInfo): ErrorInfo {
  const t = text.trimStart();
  // OpenAI/Anthropic Node SDK messages: `429 You exceeded your current quota ...`.
  if (info.httpHint === null && STATUS_PREFIX.test(t)) info.httpHint = Number(t.slice(0, 3));
  const sdk = SDK_PREFIX.exec(t);
  if (sdk) {
    info.httpHint ??= Number(sdk[1]);
    const rest = t.slice(sdk[0].length);
    return fromText(rest, depth + 1, info);
  }
  if (looksLikeJson(t)) {
    const parsed = parseLoose(t);
    if (parsed !== undefined) {
      if (depth === 0 || info.sample === text) info.sample = parsed;
      return fromValue(parsed, depth + 1, info);
    }
  }
  if (!info.message) setMessage(info, text.trim());
  return info;
}

/** `{...}` or `[{...}]`; not the `[1310][...]` bracket form (a failed JSON.parse costs an exception). */
function looksLikeJson(t: string): boolean {
  const c = t.charCodeAt(0);
  if (c === 123) return true; // {
  if (c !== 91) return false; // [
  for (let i = 1; i < t.length; i++) {
    const d = t.charCodeAt(i);
    if (d !== 32 && d !== 10 && d !== 13 && d !== 9) return d === 123 || d === 93; // { or ]
  }
  return false;
}

function parseLoose(t: string): unknown {
  // Python dict reprs would make JSON.parse throw, and exceptions are slow: try them first.
  const dq = t.indexOf('"');
  const sq = t.indexOf("'");
  if (sq >= 0 && (dq < 0 || sq < dq)) {
    const json = pythonReprToJson(t);
    if (json !== null) {
      try {
        return JSON.parse(json);
      } catch {
        // not a repr after all
      }
    }
  }
  try {
    return JSON.parse(t);
  } catch {
    // Python SDKs print dict reprs with single quotes, None, True.
    if (!t.includes("'")) return undefined;
    const json = pythonReprToJson(t);
    if (json === null) return undefined;
    try {
      return JSON.parse(json);
    } catch {
      return undefined;
    }
  }
}

function fromObject(o: Record<string, unknown>, depth: number, info: ErrorInfo): ErrorInfo {
  const err = o.error;
  info.topType ??= s(o.type);
  info.requestId ??= s(o.request_id) ?? s(o.requestId) ?? s(o.tid) ?? s(o.trace_id) ?? s(o.id);
  if (typeof err === 'object' && err !== null && !Array.isArray(err)) {
    const e = err as Record<string, unknown>;
    // SDK error objects wrap the whole body: `{status: 529, error: {type: 'error', error: {...}}}`.
    const inner = e.error;
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner) && depth < 4) {
      if (info.httpHint === null && typeof o.status === 'number' && Number.isInteger(o.status))
        info.httpHint = o.status;
      fromObject(e, depth + 1, info);
      if (!info.message) pickMessage(o, depth, info);
      return info;
    }
    readFields(e, info);
    info.requestId ??= s(e.request_id) ?? s(e.requestId) ?? s(e.tid);
    if (!info.message) {
      const m = e.message ?? e.msg ?? e.error_msg ?? e.detail;
      if (typeof m === 'string') setMessage(info, m, depth);
      else if (m !== undefined && m !== null) fromValue(m, depth + 1, info);
    }
    // Top-level code/message beside a nested error (some relays write both).
    if (info.code === null) info.code = s(o.code);
    if (!info.message) pickMessage(o, depth, info);
    return info;
  }
  if (typeof err === 'string' || Array.isArray(err)) {
    readFields(o, info);
    if (typeof err === 'string' && !info.message) setMessage(info, err, depth);
    else fromValue(err, depth + 1, info);
    if (!info.message) pickMessage(o, depth, info);
    return info;
  }
  // The object is the error itself (`error` field of the envelope, Zhipu v3 `{code,msg}`).
  readFields(o, info);
  if (!info.message) pickMessage(o, depth, info);
  return info;
}

function readFields(e: Record<string, unknown>, info: ErrorInfo): void {
  const code = e.code;
  if (info.code === null) {
    if (
      typeof code === 'number' &&
      Number.isInteger(code) &&
      code >= 100 &&
      code <= 599 &&
      typeof e.status === 'string'
    ) {
      // Gemini: `code` is the HTTP status, `status` the real code.
      info.httpHint ??= code;
    } else info.code = s(code) ?? s(e.error_code) ?? s(e.errcode);
  }
  if (info.type === null) info.type = s(e.type);
  if (info.status === null && typeof e.status === 'string' && e.status !== '') info.status = e.status;
  if (info.httpHint === null && typeof e.status === 'number' && Number.isInteger(e.status)) info.httpHint = e.status;
}

function pickMessage(o: Record<string, unknown>, depth: number, info: ErrorInfo): void {
  const m = o.message ?? o.msg ?? o.error_msg ?? o.errmsg ?? o.detail;
  if (typeof m === 'string') setMessage(info, m, depth);
  else if (m !== undefined && m !== null && typeof m === 'object') fromValue(m, depth + 1, info);
}

function setMessage(info: ErrorInfo, message: string, depth = 0): void {
  let m = message;
  // A relay may put the upstream body (JSON) in the message: read its fields too.
  if (depth < 4 && looksLikeJson(m.trimStart())) {
    const parsed = parseLoose(m.trim());
    if (parsed !== undefined && typeof parsed === 'object' && parsed !== null) {
      const inner = fromValue(parsed, depth + 1, newInfo(parsed));
      info.code ??= inner.code ?? inner.bracketCode;
      info.type ??= inner.type;
      info.status ??= inner.status;
      info.requestId ??= inner.requestId;
      info.bracketCode ??= inner.bracketCode;
      info.httpHint ??= inner.httpHint;
      if (inner.message) m = inner.message;
    }
  }
  if (m.includes('(request id') || m.includes('(Request id') || m.includes('(Request ID')) {
    const rid = REQUEST_ID_SUFFIX.exec(m);
    if (rid) {
      info.relay = true;
      info.requestId ??= rid[1]!.trim() || null;
    }
  }
  if (m.length > 0 && m.trimStart()[0] === '[') {
    const core = info.relay ? m.replace(REQUEST_ID_SUFFIX, '') : m;
    const b = BRACKET_GREEDY.exec(core) ?? BRACKET.exec(core);
    if (b) {
      info.bracketCode = b[1]!;
      if (b[3]) info.requestId = b[3].trim() || info.requestId;
    }
  }
  info.message = m;
}
