// Lines in, rows and rejections out (classifyBatch): parse, normalize, classify. Never throws; what
// cannot become a row is rejected with the reason (dead-letter topic, HTTP answer, CLI output).
import { classifyNormalized, type Verdict } from './classify.js';
import { scrubSecrets, secretScrubber } from './fingerprint.js';
import { jsonDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';
import { normalizeEnvelope } from './normalize.js';
import type { BatchOptions, CallRecord, Classification, ClassifiedBatch, InputLine, Rejection } from './types.js';

export const DEFAULT_MAX_BYTES = 1_048_576;
const BODY_MAX_CHARS = 2048;
const MESSAGE_MAX_CHARS = 1024;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Truncates without leaving half a surrogate pair. */
function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

export type Analysis =
  | { ok: true; record: CallRecord; verdict: Verdict; notes: readonly string[] }
  | { ok: false; reason: string };

/** Every rejection reason is scrubbed: it is stored with the dead letter and answered over HTTP, and
 * parser messages quote the input. */
function reject(reason: string): { ok: false; reason: string } {
  return { ok: false, reason: scrubSecrets(reason) };
}

/** Parses one NDJSON line (string or raw bytes) into JSON, or says why it cannot. */
export function parseLine(
  line: string | Uint8Array,
  maxBytes: number,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string;
  if (typeof line === 'string') {
    // UTF-16 length is a lower bound of the UTF-8 size and 3x an upper bound: count bytes only in between.
    if (line.length > maxBytes || (line.length * 3 > maxBytes && Buffer.byteLength(line, 'utf8') > maxBytes)) {
      return reject(`line exceeds ${maxBytes} bytes`);
    }
    text = line;
  } else {
    if (line.byteLength > maxBytes) return reject(`line exceeds ${maxBytes} bytes`);
    try {
      text = decoder.decode(line);
    } catch {
      return reject('line is not valid UTF-8');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (text.trim() === '' || text === '\uFEFF') return reject('empty line');
    if (text.charCodeAt(0) === 0xfeff) return parseLine(text.slice(1), maxBytes);
    return reject(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (jsonDeeperThan(text)) {
    return reject(`JSON nested deeper than ${MAX_JSON_DEPTH} levels of arrays/objects (the limit); flatten the body`);
  }
  return { ok: true, value };
}

/** Normalize + classify a parsed value, keeping the verdict. Internal to core (exported for the core's own property tests). */
export function analyzeValue(value: unknown, fallbackTs: number): Analysis {
  try {
    const n = normalizeEnvelope(value);
    if (!n.ok) return reject(n.reason);
    const env = n.env;
    const ts = env.ts ?? fallbackTs;
    const v = classifyNormalized(env, ts);
    // Every stored text is scrubbed (the verdict's are already): a key logged in the URL's path, or
    // by mistake in the model or tenant field, is stored as its fingerprint like anywhere else.
    const scrub = secretScrubber(env.secrets);
    const clean = (t: string) => (t === '' ? t : scrub(t));
    const record: CallRecord = {
      ts,
      provider: v.provider,
      model: clean(env.model),
      key_fp: env.keyFp,
      tenant: clean(env.tenant),
      endpoint: clean(env.endpoint),
      http_status: v.httpStatus ?? 0,
      category: v.category,
      code: v.code,
      known: v.known,
      retryable: v.retryable,
      reset_at: v.resetMs,
      message: truncate(v.message, MESSAGE_MAX_CHARS),
      request_id: v.requestId,
      stream: env.stream,
      finish_reason: clean(env.finishReason),
      latency_ms: env.latencyMs,
      prompt_tokens: env.promptTokens,
      completion_tokens: env.completionTokens,
      total_tokens: env.totalTokens,
      body: truncate(v.body, BODY_MAX_CHARS),
    };
    return { ok: true, record, verdict: v, notes: env.notes };
  } catch (err) {
    // Defensive: plain JSON data cannot get here, exotic values (getters, proxies, BigInt) might.
    return reject(`unprocessable envelope: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Classification fields of a verdict, as `errorscope classify` prints them. */
function toClassification(v: Verdict, notes: readonly string[]): Classification {
  const c: Classification = {
    category: v.category,
    code: v.code,
    http_status: v.httpStatus,
    provider: v.provider,
    retryable: v.retryable,
    reset_at: v.resetMs === null ? null : new Date(v.resetMs).toISOString(),
    known: v.known,
    message: v.message === '' ? null : truncate(v.message, MESSAGE_MAX_CHARS),
    request_id: v.requestId === '' ? null : v.requestId,
    vars: { ...v.vars },
  };
  if (notes.length > 0) c.notes = [...notes];
  return c;
}

const NULL_VALUE = 'empty message (null value)';

function analyzeLine(value: string | Uint8Array, fallbackTs: number, maxBytes: number): Analysis {
  const parsed = parseLine(value, maxBytes);
  if (!parsed.ok) return parsed;
  return analyzeValue(parsed.value, fallbackTs);
}

/**
 * The one way from input lines to rows: parse, normalize, classify each line. Pure and total: every
 * line ends as exactly one row (in input order, with its `transport` fields merged in) or one rejection
 * with its index and a scrubbed reason; nothing is dropped and nothing throws.
 */
export function classifyBatch<T extends object>(
  lines: readonly (InputLine & { transport: T })[],
  opts?: BatchOptions,
): ClassifiedBatch<CallRecord & T>;
export function classifyBatch(lines: readonly InputLine[], opts?: BatchOptions): ClassifiedBatch<CallRecord>;
export function classifyBatch(
  lines: readonly (InputLine & { transport?: object })[],
  opts: BatchOptions = {},
): ClassifiedBatch<CallRecord> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const rows: CallRecord[] = [];
  const rejected: Rejection[] = [];
  const details: Classification[] | undefined = opts.details ? [] : undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as InputLine & { transport?: object };
    if (line.value === null) {
      rejected.push({ index, reason: NULL_VALUE });
      continue;
    }
    const a = analyzeLine(line.value, line.fallbackTs, maxBytes);
    if (!a.ok) {
      rejected.push({ index, reason: a.reason });
      continue;
    }
    // The record is fresh: merging in place spares a copy per row on the ingest hot path.
    rows.push(line.transport === undefined ? a.record : Object.assign(a.record, line.transport));
    details?.push(toClassification(a.verdict, a.notes));
  }
  return details ? { rows, rejected, details } : { rows, rejected };
}
