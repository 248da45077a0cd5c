// Weeks of pre-classified rows for the query API bench: minute by minute each key (tied to one tenant
// and one route) makes Poisson calls following the daily rhythm, 7% failing with its provider's
// everyday errors, plus a 1310 surge and three quota walls near the end. Rows are built directly (the
// verdict of each error shape is asked of classifyBatch once and cached), so 30 days x 200 keys are
// generated in seconds.
import { classifyBatch } from '../core/index.js';
import type { CallRecord, Category } from '../core/types.js';
import { mulberry32 as prng } from './prng.js';
import { dailyFactor, poisson } from './scenario.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

interface BenchError {
  code: string;
  http: number;
  message: string;
}

interface BenchKey {
  fp: string;
  tenant: string;
  provider: string;
  model: string;
  errors: BenchError[];
}

const PROVIDERS: Omit<BenchKey, 'fp' | 'tenant'>[] = [
  {
    provider: 'zhipu',
    model: 'glm-4.6',
    errors: [
      {
        code: '1302',
        http: 429,
        message: 'High concurrency usage of this API',
      },
      {
        code: '1305',
        http: 429,
        message: 'The service may be temporarily overloaded',
      },
      { code: '500', http: 500, message: 'Internal Error' },
    ],
  },
  {
    provider: 'zai',
    model: 'glm-4.6',
    errors: [
      {
        code: '1302',
        http: 429,
        message: 'High concurrency usage of this API',
      },
      {
        code: '1305',
        http: 529,
        message: 'The service may be temporarily overloaded',
      },
    ],
  },
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    errors: [
      {
        code: 'rate_limit_exceeded',
        http: 429,
        message: 'Rate limit reached',
      },
      {
        code: 'context_length_exceeded',
        http: 400,
        message: 'maximum context length',
      },
      {
        code: 'server_error',
        http: 500,
        message: 'The server had an error',
      },
    ],
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    errors: [{ code: 'overloaded_error', http: 529, message: 'Overloaded' }],
  },
  {
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    errors: [
      {
        code: 'RESOURCE_EXHAUSTED',
        http: 429,
        message: 'Resource has been exhausted',
      },
    ],
  },
];

const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell'];

function benchKeys(n: number): BenchKey[] {
  return Array.from({ length: n }, (_, i) => ({
    fp: `fp_${(0x1000000000000000n + BigInt(i) * 0x9e3779b97f4a7n).toString(16).slice(-16)}`,
    tenant: TENANTS[i % TENANTS.length]!,
    ...PROVIDERS[i % PROVIDERS.length]!,
  }));
}

function record<T extends object>(k: BenchKey, ts: number, rand: () => number, transport: T): CallRecord & T {
  const prompt = 200 + Math.floor(rand() * 3000);
  const completion = 50 + Math.floor(rand() * 800);
  return {
    ts,
    provider: k.provider,
    model: k.model,
    key_fp: k.fp,
    tenant: k.tenant,
    endpoint: '/v1/chat/completions',
    http_status: 200,
    category: 'ok',
    code: '200',
    known: true,
    retryable: false,
    reset_at: null,
    message: '',
    request_id: `req-${ts.toString(36)}-${Math.floor(rand() * 1e9).toString(36)}`,
    stream: false,
    finish_reason: 'stop',
    latency_ms: 300 + Math.floor(rand() * 2500),
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    body: '',
    ...transport,
  };
}

const verdicts = new Map<string, { category: Category; retryable: boolean }>();

/** What the classifier says of this error (cached per provider, code and status): the dataset cannot disagree with it. */
function verdict(provider: string, e: BenchError): { category: Category; retryable: boolean } {
  const k = `${provider}|${e.code}|${e.http}`;
  let v = verdicts.get(k);
  if (!v) {
    const line = JSON.stringify({ provider, status: e.http, body: { error: { code: e.code, message: e.message } } });
    const c = classifyBatch([{ value: line, fallbackTs: 0 }]).rows[0];
    if (!c) throw new Error(`bench error ${k} is rejected by the classifier`);
    v = { category: c.category, retryable: c.retryable };
    verdicts.set(k, v);
  }
  return v;
}

function failed(r: CallRecord, e: BenchError, resetAt: number | null) {
  const known = verdict(r.provider, e);
  r.http_status = e.http;
  r.category = known.category;
  r.code = e.code;
  r.retryable = known.retryable;
  r.message = e.message;
  r.reset_at = resetAt;
  r.finish_reason = '';
  r.prompt_tokens = r.completion_tokens = r.total_tokens = 0;
  r.latency_ms = 40;
  r.body = JSON.stringify({ error: { code: e.code, message: e.message } });
  return r;
}

/**
 * Minute by minute, each key makes Poisson(1.2 x daily factor) calls, 7% failing with its provider's
 * everyday errors; 5 keys surge on 1310 in the last 30 minutes, 3 keys sit behind quota walls.
 */
export function* historyRecords<T extends object>(
  startMs: number,
  endMs: number,
  nKeys: number,
  transport: T,
  block = 200_000,
): Generator<(CallRecord & T)[]> {
  const rand = prng(42);
  const keys = benchKeys(nKeys);
  const surge = new Set(keys.slice(0, 5).map((k) => k.fp));
  const walls = new Map([
    [keys[5]!.fp, { code: '1308', from: endMs - 2 * HOUR, reset: endMs + 3 * HOUR }],
    [keys[6]!.fp, { code: '1113', from: endMs - HOUR, reset: null }],
    [keys[7]!.fp, { code: '1310', from: endMs - 6 * HOUR, reset: endMs + 4 * DAY }],
  ]);
  const surgeReset = endMs + 5 * DAY;
  let out: (CallRecord & T)[] = [];
  for (let minute = Math.floor(startMs / MIN) * MIN; minute < endMs; minute += MIN) {
    const mean = 1.2 * dailyFactor(minute);
    for (const k of keys) {
      const wall = walls.get(k.fp);
      const n = poisson(rand, mean) + (surge.has(k.fp) && minute >= endMs - 30 * MIN ? 3 : 0);
      for (let i = 0; i < n; i++) {
        const ts = minute + Math.floor(rand() * MIN);
        if (ts >= endMs) continue;
        const r = record(k, ts, rand, transport);
        if (wall && ts >= wall.from) {
          failed(r, { code: wall.code, http: 429, message: `limit ${wall.code}` }, wall.reset);
        } else if (surge.has(k.fp) && minute >= endMs - 30 * MIN && rand() < 0.8) {
          failed(r, { code: '1310', http: 429, message: 'Weekly/Monthly Limit Exhausted' }, surgeReset);
        } else if (rand() < 0.07) {
          failed(r, k.errors[Math.floor(rand() * k.errors.length)]!, null);
        }
        out.push(r);
      }
    }
    if (out.length >= block) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}
