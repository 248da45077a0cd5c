// Every real error shape at full speed: one call every ~25 ms of event time, keys and tenants drawn
// independently, ~85% ok calls and the failures from the providers that really send each shape. The
// classifier bench's input and the ingest bench's backfill scenario (history shipped at full speed).
import { mulberry32 } from './prng.js';

const PROVIDERS = [
  {
    endpoint: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
    models: ['glm-4.6', 'glm-4.5-air', 'glm-4-flash'],
  },
  { endpoint: 'https://api.z.ai/api/paas/v4/chat/completions', models: ['glm-4.6', 'glm-4.5'] },
  { endpoint: 'https://api.openai.com/v1/chat/completions', models: ['gpt-4o', 'gpt-4o-mini'] },
  { endpoint: 'https://api.anthropic.com/v1/messages', models: ['claude-sonnet-4-5'] },
  {
    endpoint: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent',
    models: ['gemini-2.5-pro'],
  },
  { endpoint: 'https://gateway.internal.example/v1/chat/completions', models: ['glm-4.6', 'gpt-4o'] },
];

type Failure = (r: () => number) => {
  status?: number | string;
  body?: unknown;
  error?: unknown;
  finish_reason?: string;
};

const FAILURES: Failure[] = [
  () => ({
    status: 429,
    body: {
      error: {
        code: '1310',
        message: '[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40][20260731a1b2c3]',
      },
    },
  }),
  () => ({
    status: 429,
    body: { error: { code: '1308', message: '已达到 5 小时的使用上限。您的限额将在 2026-08-25 07:41:44 重置。' } },
  }),
  () => ({
    status: 429,
    body: '{"error":{"code":"1308","message":"Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 07:41:44"}}',
  }),
  () => ({ status: 429, body: { error: { code: '1113', message: '余额不足或无可用资源包,请充值。' } } }),
  () => ({
    status: 429,
    body: { error: { code: '1302', message: 'High concurrency usage of this API, please reduce concurrency' } },
  }),
  () => ({
    status: 529,
    body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_01' },
  }),
  () => ({
    status: 429,
    body: {
      type: 'error',
      error: {
        type: 'rate_limit_error',
        code: '1310',
        message: '[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40][r9]',
      },
    },
  }),
  () => ({
    status: 429,
    body: {
      error: {
        type: '1308',
        message:
          'Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 07:41:44 (request id: 2026082507abc)',
      },
    },
  }),
  () => ({
    status: 429,
    body: {
      error: {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    },
  }),
  () => ({
    status: 429,
    body: {
      error: {
        message: 'Rate limit reached for gpt-4o on tokens per min (TPM)',
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      },
    },
  }),
  () => ({
    status: 429,
    body: [
      {
        error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' },
      },
    ],
  }),
  () => ({ error: "Error code: 429 - {'error': {'code': '1302', 'message': 'High concurrency usage of this API'}}" }),
  () => ({ status: 200, finish_reason: 'sensitive' }),
  () => ({ status: 429, body: { error: { code: '1314', message: 'A limit newer than the docs' } } }),
  () => ({
    status: 403,
    body: {
      error: {
        code: 'insufficient_user_quota',
        type: 'new_api_error',
        message: 'Your account balance is insufficient.',
      },
    },
  }),
  () => ({ status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }),
  (r) => ({
    status: 400,
    body: {
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: `prompt is too long: ${200_000 + Math.floor(r() * 9999)} tokens > 200000 maximum`,
      },
    },
  }),
];

/** Per FAILURES entry, the PROVIDERS (0 bigmodel, 1 z.ai, 2 openai, 3 anthropic, 4 gemini, 5 gateway) sending it. */
const HOMES: number[][] = [
  [0, 1],
  [0],
  [0, 1, 5],
  [0],
  [0, 1],
  [3],
  [1],
  [5],
  [2, 5],
  [2],
  [4],
  [0, 1, 2],
  [0, 1],
  [0, 1],
  [5],
  [5, 2],
  [3],
];

/** The replay's first call time unless told otherwise (fixed, so the same seed gives the same lines). */
const REPLAY_START_MS = Date.UTC(2026, 7, 1);

/** `n` NDJSON lines, one every ~25 ms of event time from `startMs`; the same seed and start give the same lines. */
export function generateLines(n: number, seed = 42, startMs = REPLAY_START_MS): string[] {
  const r = mulberry32(seed);
  const keys = Array.from({ length: 64 }, (_, i) => `sk-bench-${i.toString(16).padStart(4, '0')}${'x'.repeat(28)}`);
  const lines: string[] = new Array(n);
  let ts = startMs;
  for (let i = 0; i < n; i++) {
    ts += Math.floor(r() * 50);
    const p = PROVIDERS[Math.floor(r() * PROVIDERS.length)]!;
    const env: Record<string, unknown> = {
      ts: r() < 0.5 ? new Date(ts).toISOString() : ts,
      endpoint: p.endpoint,
      model: p.models[Math.floor(r() * p.models.length)],
      api_key: keys[Math.floor(r() * keys.length)],
      tenant: `tenant-${Math.floor(r() * 20)}`,
      latency_ms: Math.floor(200 + r() * 4000),
      request_id: `req-${i.toString(36)}`,
      stream: r() < 0.6,
    };
    if (r() < 0.85) {
      const prompt = Math.floor(r() * 4000);
      const completion = Math.floor(r() * 800);
      env.status = 200;
      env.finish_reason = 'stop';
      env.usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    } else {
      const k = Math.floor(r() * FAILURES.length);
      Object.assign(env, FAILURES[k]!(r));
      const home = HOMES[k]!;
      // Each failure shape comes from the providers that really send it.
      const hp = PROVIDERS[home[Math.floor(r() * home.length)]!]!;
      env.endpoint = hp.endpoint;
      env.model = hp.models[Math.floor(r() * hp.models.length)];
    }
    lines[i] = JSON.stringify(env);
  }
  return lines;
}
