// OpenTelemetry (OTLP) logs and traces -> errorscope envelopes. Pure: bytes or parsed JSON in, plain
// data out, no I/O. Three parts:
//   1. a decoder of the protobuf wire format for the OTLP fields errorscope reads (ExportLogsServiceRequest,
//      ExportTraceServiceRequest: resource, scope, log records, spans, events, status, AnyValue);
//   2. the same model from OTLP/JSON (camelCase, 64-bit integers as strings, ids as hex);
//   3. the GenAI semantic conventions mapped onto the envelope. Only LLM calls count: spans and log
//      records with gen_ai.* attributes, or log records whose body already is an envelope (the Collector
//      recipe in docs/shipping.md builds one). Everything else is skipped and counted by the caller.
// Field numbers: opentelemetry-proto v1 (collector/{logs,trace}/v1, logs/v1, trace/v1, common/v1).
import type { Envelope } from './types.js';

type OtlpValue = string | number | boolean | null | OtlpValue[] | { [k: string]: OtlpValue };
type Attributes = Record<string, OtlpValue>;

interface OtlpEvent {
  name: string;
  timeMs: number;
  attributes: Attributes;
}

export interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  resource: Attributes;
  events: OtlpEvent[];
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
}

export interface OtlpLogRecord {
  timeMs: number;
  observedMs: number;
  severityText: string;
  body: OtlpValue;
  attributes: Attributes;
  resource: Attributes;
  eventName: string;
  traceId: string;
  spanId: string;
}

export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

// ---------------------------------------------------------------------------------------------
// 1. Protobuf wire format

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end = buf.length,
  ) {}

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new OtlpDecodeError('varint longer than 10 bytes');
  }

  uint(): number {
    return Number(this.varint() & 0xffffffffffffffffn);
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated fixed64');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  bytes(): Uint8Array {
    const len = this.uint();
    if (len < 0 || this.pos + len > this.end) throw new OtlpDecodeError('length-delimited field runs past its message');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  sub(): Reader {
    const b = this.bytes();
    return new Reader(b);
  }

  string(): string {
    return new TextDecoder('utf-8', { fatal: false }).decode(this.bytes());
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new OtlpDecodeError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new OtlpDecodeError('truncated field');
  }

  /** Calls `on(field, wireType)` per field; `on` returns false for fields it does not read. */
  fields(on: (field: number, wire: number) => boolean): void {
    while (!this.done()) {
      const tag = this.uint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === 0) throw new OtlpDecodeError('field number 0');
      if (!on(field, wire)) this.skip(wire);
    }
  }
}

/** For Reader.fields: runs `read` and says the field was consumed when `matches`. */
function when(matches: boolean, read: () => unknown): boolean {
  if (matches) read();
  return matches;
}

const nsToMs = (ns: bigint): number => Number(ns / 1_000_000n);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function int64(v: bigint): number {
  const signed = BigInt.asIntN(64, v);
  return Number(signed);
}

function decodeAnyValue(r: Reader): OtlpValue {
  let out: OtlpValue = null;
  r.fields((f, w) => {
    if (f === 1 && w === 2) out = r.string();
    else if (f === 2 && w === 0) out = r.varint() !== 0n;
    else if (f === 3 && w === 0) out = int64(r.varint());
    else if (f === 4 && w === 1) out = r.double();
    else if (f === 5 && w === 2) {
      const arr: OtlpValue[] = [];
      const s = r.sub();
      s.fields((g, gw) => when(g === 1 && gw === 2, () => arr.push(decodeAnyValue(s.sub()))));
      out = arr;
    } else if (f === 6 && w === 2) {
      const kv: Attributes = {};
      const s = r.sub();
      s.fields((g, gw) => when(g === 1 && gw === 2, () => decodeKeyValue(s.sub(), kv)));
      out = kv;
    } else if (f === 7 && w === 2) out = hex(r.bytes());
    else return false;
    return true;
  });
  return out;
}

function decodeKeyValue(r: Reader, into: Attributes): void {
  let key = '';
  let value: OtlpValue = null;
  r.fields((f, w) => {
    if (f === 1 && w === 2) key = r.string();
    else if (f === 2 && w === 2) value = decodeAnyValue(r.sub());
    else return false;
    return true;
  });
  into[key] = value;
}

/** Resource { repeated KeyValue attributes = 1 } */
function decodeResource(r: Reader): Attributes {
  const attrs: Attributes = {};
  r.fields((f, w) => when(f === 1 && w === 2, () => decodeKeyValue(r.sub(), attrs)));
  return attrs;
}

function decodeLogRecord(r: Reader, resource: Attributes): OtlpLogRecord {
  const rec: OtlpLogRecord = {
    timeMs: 0,
    observedMs: 0,
    severityText: '',
    body: null,
    attributes: {},
    resource,
    eventName: '',
    traceId: '',
    spanId: '',
  };
  r.fields((f, w) => {
    if (f === 1 && w === 1) rec.timeMs = nsToMs(r.fixed64());
    else if (f === 11 && w === 1) rec.observedMs = nsToMs(r.fixed64());
    else if (f === 3 && w === 2) rec.severityText = r.string();
    else if (f === 5 && w === 2) rec.body = decodeAnyValue(r.sub());
    else if (f === 6 && w === 2) decodeKeyValue(r.sub(), rec.attributes);
    else if (f === 9 && w === 2) rec.traceId = hex(r.bytes());
    else if (f === 10 && w === 2) rec.spanId = hex(r.bytes());
    else if (f === 12 && w === 2) rec.eventName = r.string();
    else return false;
    return true;
  });
  return rec;
}

/** ExportLogsServiceRequest -> every log record with its resource attributes. */
export function decodeLogsRequest(bytes: Uint8Array): OtlpLogRecord[] {
  const out: OtlpLogRecord[] = [];
  const top = new Reader(bytes);
  top.fields((f, w) => {
    if (f !== 1 || w !== 2) return false; // resource_logs
    const rl = top.sub();
    let resource: Attributes = {};
    const scopes: Reader[] = [];
    rl.fields((g, gw) => {
      if (g === 1 && gw === 2) resource = decodeResource(rl.sub());
      else if (g === 2 && gw === 2) scopes.push(rl.sub());
      else return false;
      return true;
    });
    for (const sl of scopes) {
      sl.fields((h, hw) => when(h === 2 && hw === 2, () => out.push(decodeLogRecord(sl.sub(), resource))));
    }
    return true;
  });
  return out;
}

function decodeEvent(r: Reader): OtlpEvent {
  const ev: OtlpEvent = { name: '', timeMs: 0, attributes: {} };
  r.fields((f, w) => {
    if (f === 1 && w === 1) ev.timeMs = nsToMs(r.fixed64());
    else if (f === 2 && w === 2) ev.name = r.string();
    else if (f === 3 && w === 2) decodeKeyValue(r.sub(), ev.attributes);
    else return false;
    return true;
  });
  return ev;
}

function decodeSpan(r: Reader, resource: Attributes): OtlpSpan {
  const span: OtlpSpan = {
    name: '',
    traceId: '',
    spanId: '',
    startMs: 0,
    endMs: 0,
    attributes: {},
    resource,
    events: [],
    statusCode: 0,
    statusMessage: '',
  };
  r.fields((f, w) => {
    if (f === 1 && w === 2) span.traceId = hex(r.bytes());
    else if (f === 2 && w === 2) span.spanId = hex(r.bytes());
    else if (f === 5 && w === 2) span.name = r.string();
    else if (f === 7 && w === 1) span.startMs = nsToMs(r.fixed64());
    else if (f === 8 && w === 1) span.endMs = nsToMs(r.fixed64());
    else if (f === 9 && w === 2) decodeKeyValue(r.sub(), span.attributes);
    else if (f === 11 && w === 2) span.events.push(decodeEvent(r.sub()));
    else if (f === 15 && w === 2) {
      const s = r.sub();
      s.fields((g, gw) => {
        if (g === 2 && gw === 2) span.statusMessage = s.string();
        else if (g === 3 && gw === 0) span.statusCode = s.uint();
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return span;
}

/** ExportTraceServiceRequest -> every span with its resource attributes. */
export function decodeTracesRequest(bytes: Uint8Array): OtlpSpan[] {
  const out: OtlpSpan[] = [];
  const top = new Reader(bytes);
  top.fields((f, w) => {
    if (f !== 1 || w !== 2) return false; // resource_spans
    const rs = top.sub();
    let resource: Attributes = {};
    const scopes: Reader[] = [];
    rs.fields((g, gw) => {
      if (g === 1 && gw === 2) resource = decodeResource(rs.sub());
      else if (g === 2 && gw === 2) scopes.push(rs.sub());
      else return false;
      return true;
    });
    for (const ss of scopes) {
      ss.fields((h, hw) => when(h === 2 && hw === 2, () => out.push(decodeSpan(ss.sub(), resource))));
    }
    return true;
  });
  return out;
}

// Encoding of the answers (ExportLogsServiceResponse / ExportTraceServiceResponse, google.rpc.Status).

function varintBytes(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  if (v < 0n) v = BigInt.asUintN(64, v);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

function lenField(field: number, payload: Uint8Array): number[] {
  return [...varintBytes(field * 8 + 2), ...varintBytes(payload.length), ...payload];
}

/** Export*ServiceResponse with partial_success { rejected = 1 (int64); error_message = 2 }; empty when all is well. */
export function encodeExportResponse(rejected: number, errorMessage: string): Uint8Array {
  if (rejected === 0 && errorMessage === '') return new Uint8Array(0);
  const inner: number[] = [];
  if (rejected !== 0) inner.push(...varintBytes(1 * 8 + 0), ...varintBytes(rejected));
  if (errorMessage !== '') inner.push(...lenField(2, new TextEncoder().encode(errorMessage)));
  return new Uint8Array(lenField(1, new Uint8Array(inner)));
}

/** google.rpc.Status { int32 code = 1; string message = 2 } (OTLP/HTTP error bodies). */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return new Uint8Array([
    ...varintBytes(1 * 8 + 0),
    ...varintBytes(code),
    ...lenField(2, new TextEncoder().encode(message)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// 2. OTLP/JSON

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown, what: string): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${what}: expected an array`);
  return v;
};

function jsonNanosToMs(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  if (typeof v === 'number') return Math.floor(v / 1e6);
  if (typeof v === 'string' && /^\d+$/.test(v)) return nsToMs(BigInt(v));
  throw new OtlpDecodeError(`time: expected nanoseconds as an integer or a decimal string, got ${JSON.stringify(v)}`);
}

function jsonAnyValue(v: unknown): OtlpValue {
  if (!isObj(v)) return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return v.boolValue === true;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return arr(isObj(v.arrayValue) ? v.arrayValue.values : [], 'arrayValue').map(jsonAnyValue);
  if ('kvlistValue' in v) return jsonAttributes(isObj(v.kvlistValue) ? v.kvlistValue.values : []);
  if ('bytesValue' in v) return String(v.bytesValue);
  return null;
}

function jsonAttributes(v: unknown): Attributes {
  const out: Attributes = {};
  for (const kv of arr(v, 'attributes'))
    if (isObj(kv) && typeof kv.key === 'string') out[kv.key] = jsonAnyValue(kv.value);
  return out;
}

function jsonRoot(body: unknown, field: string): Json[] {
  if (!isObj(body)) throw new OtlpDecodeError('OTLP/JSON body is not a JSON object');
  return arr(body[field], field).filter(isObj);
}

export function logsFromJson(body: unknown): OtlpLogRecord[] {
  const out: OtlpLogRecord[] = [];
  for (const rl of jsonRoot(body, 'resourceLogs')) {
    const resource = jsonAttributes(isObj(rl.resource) ? rl.resource.attributes : []);
    for (const sl of arr(rl.scopeLogs, 'scopeLogs').filter(isObj)) {
      for (const lr of arr(sl.logRecords, 'logRecords').filter(isObj)) {
        out.push({
          timeMs: jsonNanosToMs(lr.timeUnixNano),
          observedMs: jsonNanosToMs(lr.observedTimeUnixNano),
          severityText: typeof lr.severityText === 'string' ? lr.severityText : '',
          body: jsonAnyValue(lr.body),
          attributes: jsonAttributes(lr.attributes),
          resource,
          eventName: typeof lr.eventName === 'string' ? lr.eventName : '',
          traceId: typeof lr.traceId === 'string' ? lr.traceId : '',
          spanId: typeof lr.spanId === 'string' ? lr.spanId : '',
        });
      }
    }
  }
  return out;
}

export function spansFromJson(body: unknown): OtlpSpan[] {
  const out: OtlpSpan[] = [];
  for (const rs of jsonRoot(body, 'resourceSpans')) {
    const resource = jsonAttributes(isObj(rs.resource) ? rs.resource.attributes : []);
    for (const ss of arr(rs.scopeSpans, 'scopeSpans').filter(isObj)) {
      for (const s of arr(ss.spans, 'spans').filter(isObj)) {
        const status = isObj(s.status) ? s.status : {};
        const code = status.code;
        out.push({
          name: typeof s.name === 'string' ? s.name : '',
          traceId: typeof s.traceId === 'string' ? s.traceId : '',
          spanId: typeof s.spanId === 'string' ? s.spanId : '',
          startMs: jsonNanosToMs(s.startTimeUnixNano),
          endMs: jsonNanosToMs(s.endTimeUnixNano),
          attributes: jsonAttributes(s.attributes),
          resource,
          events: arr(s.events, 'events')
            .filter(isObj)
            .map((e) => ({
              name: typeof e.name === 'string' ? e.name : '',
              timeMs: jsonNanosToMs(e.timeUnixNano),
              attributes: jsonAttributes(e.attributes),
            })),
          statusCode: code === 2 || code === 'STATUS_CODE_ERROR' ? 2 : code === 1 || code === 'STATUS_CODE_OK' ? 1 : 0,
          statusMessage: typeof status.message === 'string' ? status.message : '',
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 3. GenAI semantic conventions -> envelope

export interface OtlpMapOptions {
  /** Attribute holding the API key or its id (span/log first, then resource); fingerprinted on ingest. */
  keyAttribute: string;
  /** Attribute naming the tenant (span/log first, then resource). */
  tenantAttribute: string;
}

export const DEFAULT_OTLP_MAP_OPTIONS: OtlpMapOptions = {
  keyAttribute: 'errorscope.api_key',
  tenantAttribute: 'service.name',
};

/** gen_ai.provider.name / gen_ai.system values that name a provider errorscope knows under another id. */
const GENAI_PROVIDERS: Record<string, string> = {
  'gcp.gemini': 'gemini',
  'gcp.vertex_ai': 'gemini',
  'gcp.gen_ai': 'gemini',
  vertex_ai: 'gemini',
  gemini: 'gemini',
  'azure.ai.openai': 'openai',
  az_ai_openai: 'openai',
  zhipuai: 'zhipu',
};

export type MapResult = { kind: 'call'; envelope: Envelope } | { kind: 'skip'; reason: string };

const isGenAi = (attrs: Attributes) => Object.keys(attrs).some((k) => k.startsWith('gen_ai.'));
const text = (v: OtlpValue | undefined): string =>
  v === undefined || v === null
    ? ''
    : typeof v === 'string'
      ? v
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);
const num = (v: OtlpValue | undefined): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

function lookup(name: string, attrs: Attributes, resource: Attributes): OtlpValue | undefined {
  return attrs[name] ?? resource[name];
}

/** The envelope fields the GenAI conventions give, from one set of attributes (span or log record). */
function genAiEnvelope(
  attrs: Attributes,
  resource: Attributes,
  opts: OtlpMapOptions,
  error: { message: string; type: string } | null,
): Envelope {
  const env: Envelope = {};
  const providerName = text(attrs['gen_ai.provider.name'] ?? attrs['gen_ai.system']).toLowerCase();
  const url = text(attrs['url.full']);
  const host = text(attrs['server.address']);
  if (url !== '') env.url = url;
  else if (host !== '') {
    const port = num(attrs['server.port']);
    env.url = `https://${host}${port !== undefined && port !== 443 ? `:${port}` : ''}`;
  }
  if (providerName !== '') env.provider = GENAI_PROVIDERS[providerName] ?? providerName;
  const model = text(attrs['gen_ai.response.model']) || text(attrs['gen_ai.request.model']);
  if (model !== '') env.model = model;
  const key = text(lookup(opts.keyAttribute, attrs, resource));
  if (key !== '') env.api_key = key;
  const tenant = text(lookup(opts.tenantAttribute, attrs, resource));
  if (tenant !== '') env.tenant = tenant;
  const responseId = text(attrs['gen_ai.response.id']);
  if (responseId !== '') env.request_id = responseId;
  const reasons = attrs['gen_ai.response.finish_reasons'];
  const reason = Array.isArray(reasons) ? text(reasons[0]) : text(reasons);
  if (reason !== '') env.finish_reason = reason;
  const input = num(attrs['gen_ai.usage.input_tokens'] ?? attrs['gen_ai.usage.prompt_tokens']);
  const output = num(attrs['gen_ai.usage.output_tokens'] ?? attrs['gen_ai.usage.completion_tokens']);
  if (input !== undefined || output !== undefined) {
    env.usage = { prompt_tokens: input ?? 0, completion_tokens: output ?? 0 };
  }
  const status = num(attrs['http.response.status_code'] ?? attrs['http.status_code']);
  const errorType = text(attrs['error.type']);
  if (status !== undefined) env.status = status;
  if (error || errorType !== '') {
    const message = error?.message ?? '';
    const type = errorType || error?.type || '';
    // SDK exceptions often carry the provider's answer (`Error code: 429 - {...}`, a JSON body): the
    // classifier reads those strings itself. Otherwise the type and message make the error object.
    if (/[{[]/.test(message)) env.body = message;
    else env.error = { type, message, ...(/^\d{3,4}$/.test(type) ? { code: type } : {}) };
  } else if (status === undefined) {
    // An LLM span without any error signal is a successful call.
    env.status = 200;
  }
  return env;
}

/** A span of an LLM call -> envelope; any other span is skipped. */
export function spanToEnvelope(span: OtlpSpan, opts: OtlpMapOptions = DEFAULT_OTLP_MAP_OPTIONS): MapResult {
  if (!isGenAi(span.attributes)) return { kind: 'skip', reason: 'no gen_ai.* attributes' };
  const exception = span.events.find((e) => e.name === 'exception');
  const error =
    exception || span.statusCode === 2
      ? {
          message: text(exception?.attributes['exception.message']) || span.statusMessage,
          type: text(exception?.attributes['exception.type']),
        }
      : null;
  const env = genAiEnvelope(span.attributes, span.resource, opts, error);
  env.ts = span.startMs > 0 ? span.startMs : span.endMs;
  if (span.startMs > 0 && span.endMs >= span.startMs) env.latency_ms = span.endMs - span.startMs;
  if (env.request_id === undefined && span.spanId !== '') env.request_id = `span-${span.spanId}`;
  return { kind: 'call', envelope: env };
}

/**
 * A log record -> envelope: its body when that is an envelope (a JSON object string or a map with
 * `ts`/`status`/`error`/`body`), else the GenAI attributes (with exception.* as the error); other
 * records are skipped.
 */
export function logToEnvelope(rec: OtlpLogRecord, opts: OtlpMapOptions = DEFAULT_OTLP_MAP_OPTIONS): MapResult {
  let body: unknown = rec.body;
  if (typeof body === 'string' && body.trimStart().startsWith('{')) {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: falls through to the attributes
    }
  }
  const ts = rec.timeMs > 0 ? rec.timeMs : rec.observedMs;
  if (isObj(body) && ['status', 'error', 'body', 'url', 'endpoint'].some((k) => k in body)) {
    const env = { ...body } as Envelope;
    if (env.ts === undefined && ts > 0) env.ts = ts;
    return { kind: 'call', envelope: env };
  }
  if (!isGenAi(rec.attributes)) return { kind: 'skip', reason: 'neither an envelope body nor gen_ai.* attributes' };
  const excMessage = text(rec.attributes['exception.message']);
  const excType = text(rec.attributes['exception.type']);
  const error = excMessage !== '' || excType !== '' ? { message: excMessage, type: excType } : null;
  const env = genAiEnvelope(rec.attributes, rec.resource, opts, error);
  if (ts > 0) env.ts = ts;
  return { kind: 'call', envelope: env };
}

// ---------------------------------------------------------------------------------------------
// 4. Whole requests -> envelope lines (the HTTP endpoints and the Kafka worker)

export type OtlpSignal = 'logs' | 'traces';
export type OtlpEncoding = 'protobuf' | 'json';

/** Maps one decoded request to envelope lines; pure apart from the decoding errors it throws. */
export function otlpToLines(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  body: Uint8Array,
  map: OtlpMapOptions,
): { lines: string[]; skipped: number; total: number } {
  let results: MapResult[];
  if (encoding === 'protobuf') {
    results =
      signal === 'logs'
        ? decodeLogsRequest(body).map((r) => logToEnvelope(r, map))
        : decodeTracesRequest(body).map((s) => spanToEnvelope(s, map));
  } else {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(body));
    } catch (err) {
      throw new OtlpDecodeError(`body is not JSON: ${(err as Error).message}`);
    }
    results =
      signal === 'logs'
        ? logsFromJson(json).map((r) => logToEnvelope(r, map))
        : spansFromJson(json).map((s) => spanToEnvelope(s, map));
  }
  const lines: string[] = [];
  for (const r of results) if (r.kind === 'call') lines.push(JSON.stringify(r.envelope));
  return { lines, skipped: results.length - lines.length, total: results.length };
}

/**
 * Which signal a protobuf export request carries, from the first record's fields (both requests
 * start with field 1 = resource_*): a span has trace_id (1, bytes) and fixed64 times 7/8; a log
 * record has time_unix_nano (1, fixed64) or observed_time_unix_nano (11). null: no record to tell by.
 */
export function detectProtoSignal(bytes: Uint8Array): OtlpSignal | null {
  const firstChild = (r: Reader, field: number): Reader | null => {
    let found: Reader | null = null;
    r.fields((f, w) => {
      if (found || f !== field || w !== 2) return false;
      found = r.sub();
      return true;
    });
    return found;
  };
  const resource = firstChild(new Reader(bytes), 1);
  const scope = resource && firstChild(resource, 2);
  const record = scope && firstChild(scope, 2);
  if (!record) return null;
  let signal: OtlpSignal | null = null;
  record.fields((f, w) => {
    if (signal) return false;
    if ((f === 1 && w === 2) || ((f === 7 || f === 8) && w === 1)) signal = 'traces';
    else if ((f === 1 || f === 11) && w === 1) signal = 'logs';
    return false;
  });
  return signal;
}

/** Which signal an OTLP/JSON export request carries. */
export function detectJsonSignal(json: unknown): OtlpSignal | null {
  if (!isObj(json)) return null;
  if ('resourceSpans' in json) return 'traces';
  if ('resourceLogs' in json) return 'logs';
  return null;
}
