// Real-world shapes (seeds README bullets, OpenAI / Anthropic / Gemini bodies, SDK strings, Chinese
// messages), reset-time conversion, unknown codes, key handling and the CallRecord contract.
import { describe, expect, it } from 'vitest';
import { type Classification, fingerprintKey } from '../../services/core/index.js';
import { classifyLine, classifyOne, classifyValue } from '../helpers/classify-one.js';

type Expect = Partial<Classification>;
const check = (envelope: unknown, expected: Expect) => expect(classifyOne(envelope)).toMatchObject(expected);

describe('seeds README: facts from the field', () => {
  it('1308 reset time is China Standard Time without a zone', () => {
    check(
      {
        status: 429,
        endpoint: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
        body: {
          error: {
            code: '1308',
            message: 'Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 07:41:44',
          },
        },
      },
      {
        provider: 'zhipu',
        code: '1308',
        category: 'quota',
        retryable: false,
        reset_at: '2026-08-24T23:41:44.000Z',
        known: true,
        vars: { period: '5 hour', next_flush_time: '2026-08-25 07:41:44' },
      },
    );
  });

  it('1308 in Chinese', () => {
    check(
      {
        status: 429,
        body: { error: { code: 1308, message: '已达到 5 小时的使用上限。您的限额将在 2026-08-25 07:41:44 重置。' } },
      },
      { code: '1308', category: 'quota', reset_at: '2026-08-24T23:41:44.000Z', provider: 'zhipu' },
    );
  });

  it('bracket form: code, reset time and request id', () => {
    check(
      {
        status: 429,
        url: 'https://api.z.ai/api/paas/v4/chat/completions',
        body: {
          error: {
            code: '1310',
            message:
              '[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40][20260731abcdef]',
          },
        },
      },
      {
        provider: 'zai',
        code: '1310',
        category: 'quota',
        reset_at: '2026-08-01T02:03:40.000Z',
        request_id: '20260731abcdef',
      },
    );
  });

  it('bracket form as a bare string body, with no structured code', () => {
    check(
      {
        status: 429,
        body: '[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40][r-1]',
      },
      { code: '1310', category: 'quota', request_id: 'r-1', reset_at: '2026-08-01T02:03:40.000Z', known: true },
    );
  });

  it('Anthropic-style body carrying a Zhipu code', () => {
    check(
      {
        status: 429,
        endpoint: 'https://api.z.ai/api/anthropic/v1/messages',
        body: {
          type: 'error',
          error: {
            type: 'rate_limit_error',
            code: '1310',
            message: '[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40][req-9]',
          },
        },
      },
      { provider: 'zai', code: '1310', category: 'quota', request_id: 'req-9', reset_at: '2026-08-01T02:03:40.000Z' },
    );
  });

  it('1305 over the Anthropic-compatible endpoint arrives as 529 overloaded_error', () => {
    check(
      {
        status: 529,
        endpoint: 'https://open.bigmodel.cn/api/anthropic/v1/messages',
        body: { type: 'error', error: { type: 'overloaded_error', message: 'The API has triggered a rate limit.' } },
      },
      // The message says what the 529 hides: 1305, a rate limit (CATEGORIES: 529 with 1305 is rate_limit).
      {
        provider: 'zhipu',
        code: 'overloaded_error',
        category: 'rate_limit',
        retryable: true,
        http_status: 529,
        known: true,
      },
    );
    check(
      { status: 529, body: { type: 'error', error: { type: 'overloaded_error', code: '1305', message: 'x' } } },
      { provider: 'zhipu', code: '1305', category: 'rate_limit', retryable: true },
    );
  });

  it('new-api relay: code in error.type, (request id: ...) suffix', () => {
    check(
      {
        status: 429,
        body: {
          error: {
            type: '1308',
            message:
              'Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 07:41:44 (request id: 20260825074144abc)',
          },
        },
      },
      {
        provider: 'new-api',
        code: '1308',
        category: 'quota',
        request_id: '20260825074144abc',
        reset_at: '2026-08-24T23:41:44.000Z',
        known: true,
      },
    );
  });

  it('live 1113 wording, English and Chinese', () => {
    for (const message of [
      'Insufficient balance or no resource package. Please recharge.',
      '余额不足或无可用资源包,请充值。',
    ]) {
      check(
        { status: 429, body: { error: { code: '1113', message } } },
        { code: '1113', category: 'quota', known: true },
      );
    }
  });

  it('codes newer than the documents are kept, flagged unknown, categorized from status and message', () => {
    check(
      { status: 429, body: { error: { code: '1314', message: 'Your request rate has been restricted' } } },
      { code: '1314', known: false, category: 'rate_limit', retryable: true, provider: 'zhipu' },
    );
    check(
      { status: 429, body: { error: { code: 1999, message: 'Monthly quota exhausted' } } },
      { code: '1999', known: false, category: 'quota', retryable: false },
    );
    check(
      { status: 500, body: { error: { code: '1777', message: '' } } },
      { code: '1777', known: false, category: 'server_error' },
    );
  });

  it('stream failures reported only through finish_reason with HTTP 200', () => {
    check(
      { status: 200, stream: true, finish_reason: 'sensitive', endpoint: 'https://open.bigmodel.cn/x' },
      { code: 'sensitive', category: 'content_policy', http_status: 200, known: true, provider: 'zhipu' },
    );
    check(
      { status: 200, stream: true, finish_reason: 'network_error' },
      { code: 'network_error', category: 'network', retryable: true, provider: 'zhipu' },
    );
    check({ status: 200, finish_reason: 'stop' }, { category: 'ok', code: '200' });
    check({ status: 200, finish_reason: 'length' }, { category: 'ok' });
  });
});

describe('SDK-formatted strings', () => {
  it('Zhipu SDK: Error code: 429, with error text {json}', () => {
    check(
      {
        body: 'Error code: 429, with error text {"error":{"code":"1302","message":"High concurrency usage of this API"}}',
      },
      { code: '1302', http_status: 429, category: 'rate_limit', provider: 'zhipu' },
    );
  });

  it('OpenAI/Anthropic Python SDK: Error code: 429 - {python dict}', () => {
    check(
      {
        error:
          "Error code: 429 - {'error': {'code': '1113', 'message': \"Insufficient balance or no resource package. Please recharge.\"}}",
      },
      { code: '1113', http_status: 429, category: 'quota' },
    );
    check(
      {
        provider: 'anthropic',
        error:
          "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}, 'request_id': None}",
      },
      { code: 'overloaded_error', http_status: 529, category: 'overload' },
    );
  });

  it('Node SDK error objects and messages', () => {
    check(
      {
        error: {
          status: 529,
          error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
          message: '529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
        },
      },
      {
        provider: 'anthropic',
        code: 'overloaded_error',
        http_status: 529,
        category: 'overload',
        message: 'Overloaded',
      },
    );
    check(
      { provider: 'openai', error: '429 You exceeded your current quota, please check your plan and billing details.' },
      { code: '429', http_status: 429, category: 'quota' },
    );
    check(
      {
        provider: 'openai',
        error: {
          status: 429,
          code: 'rate_limit_exceeded',
          type: 'requests',
          message: '429 Rate limit reached for requests',
        },
      },
      { code: 'rate_limit_exceeded', http_status: 429, category: 'rate_limit', known: true },
    );
  });

  it('a JSON body held in a string', () => {
    check(
      {
        status: '401',
        body: '{"error":{"code":"1002","message":"Invalid Authorization Token, please confirm the correct Authorization Token is passed."}}',
      },
      { code: '1002', http_status: 401, category: 'auth', known: true },
    );
  });

  it('a relay wrapping the upstream body in the message', () => {
    check(
      {
        status: 429,
        body: {
          error: {
            type: 'upstream_error',
            message: '{"error":{"code":"1113","message":"余额不足或无可用资源包,请充值。"}}',
          },
        },
      },
      { code: '1113', category: 'quota', provider: 'new-api', message: '余额不足或无可用资源包,请充值。' },
    );
  });
});

describe('OpenAI, Anthropic and Gemini bodies', () => {
  const openai = 'https://api.openai.com/v1/chat/completions';
  it.each([
    [
      429,
      {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
      'insufficient_quota',
      'quota',
    ],
    [
      429,
      {
        message: 'Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000',
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      },
      'rate_limit_exceeded',
      'rate_limit',
    ],
    [
      400,
      {
        message: "This model's maximum context length is 128000 tokens.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
      'context_length_exceeded',
      'context_length',
    ],
    [
      400,
      {
        message: "This model's maximum context length is 8192 tokens.",
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
      'invalid_request_error',
      'context_length',
    ],
    [
      401,
      {
        message: 'Incorrect API key provided: sk-proj-****abcd.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
      'invalid_api_key',
      'auth',
    ],
    [
      404,
      {
        message: 'The model `gpt-9` does not exist',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
      'model_not_found',
      'not_found',
    ],
    [
      500,
      {
        message: 'The server had an error while processing your request.',
        type: 'server_error',
        param: null,
        code: null,
      },
      'server_error',
      'server_error',
    ],
    [
      400,
      {
        message: 'Unrecognized request argument supplied: foo',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
      'invalid_request_error',
      'invalid_request',
    ],
  ] as const)('openai %i %s', (status, error, code, category) => {
    check({ status, endpoint: openai, body: { error } }, { provider: 'openai', code, category, known: true });
  });

  it.each([
    [400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API.', 'quota'],
    [400, 'invalid_request_error', 'prompt is too long: 215000 tokens > 200000 maximum', 'context_length'],
    [400, 'invalid_request_error', 'messages: roles must alternate', 'invalid_request'],
    [401, 'authentication_error', 'invalid x-api-key', 'auth'],
    [402, 'billing_error', 'billing issue', 'quota'],
    [403, 'permission_error', 'no access', 'permission'],
    [404, 'not_found_error', 'model: claude-x', 'not_found'],
    [413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.', 'invalid_request'],
    [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', 'rate_limit'],
    [500, 'api_error', 'Internal server error', 'server_error'],
    [529, 'overloaded_error', 'Overloaded', 'overload'],
  ] as const)('anthropic %i %s', (status, type, message, category) => {
    check(
      {
        status,
        endpoint: 'https://api.anthropic.com/v1/messages',
        body: { type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' },
      },
      { provider: 'anthropic', code: type, category, known: true, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' },
    );
    // Detected from the body shape alone.
    check({ status, body: { type: 'error', error: { type, message } } }, { provider: 'anthropic', code: type });
  });

  it.each([
    [400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', 'invalid_request'],
    [400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', 'auth'],
    [400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.', 'permission'],
    [401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.', 'auth'],
    // A leaked key must be replaced: the credential is the problem (auth), whatever the status word says.
    [403, 'PERMISSION_DENIED', 'Your API key was reported as leaked.', 'auth'],
    [403, 'PERMISSION_DENIED', 'Permission denied on resource project my-project.', 'permission'],
    [404, 'NOT_FOUND', 'models/gemini-9 is not found', 'not_found'],
    [429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', 'rate_limit'],
    [500, 'INTERNAL', 'An internal error has occurred.', 'server_error'],
    [503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.', 'overload'],
    [504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.', 'timeout'],
  ] as const)('gemini %i %s', (status, s, message, category) => {
    const body = { error: { code: status, message, status: s } };
    check(
      {
        status,
        endpoint: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent',
        body,
      },
      { provider: 'gemini', code: s, category, known: true },
    );
    // Streaming errors come as a one-element array; no envelope status: the body's code is the HTTP status.
    check({ body: [body] }, { provider: 'gemini', code: s, http_status: status, category });
  });

  it('Gemini safety stop in a stream', () => {
    check(
      { status: 200, provider: 'gemini', finish_reason: 'SAFETY' },
      { code: 'SAFETY', category: 'content_policy', known: true },
    );
  });
});

describe('reset times and headers', () => {
  it('Retry-After seconds relative to the call ts', () => {
    check(
      { ts: '2026-03-01T10:00:00Z', status: 429, provider: 'openai', headers: { 'retry-after': '20' } },
      { reset_at: '2026-03-01T10:00:20.000Z', category: 'rate_limit' },
    );
  });
  it('Retry-After as an HTTP date', () => {
    check(
      { status: 503, headers: { 'Retry-After': 'Sun, 01 Mar 2026 10:05:00 GMT' } },
      { reset_at: '2026-03-01T10:05:00.000Z', category: 'overload' },
    );
  });
  it('x-ratelimit-reset-requests durations', () => {
    check(
      { ts: 1_772_359_200_000, status: 429, headers: { 'x-ratelimit-reset-requests': '6m0s' } },
      { reset_at: new Date(1_772_359_200_000 + 360_000).toISOString() },
    );
  });
  it('a time with an explicit zone is not shifted', () => {
    check(
      { status: 429, body: { error: { code: '1310', message: 'Your limit will reset at 2026-08-01T10:03:40Z' } } },
      { reset_at: '2026-08-01T10:03:40.000Z' },
    );
  });
});

describe('API keys', () => {
  const raw = 'sk-live-0123456789abcdefghijABCDEFGHIJ';
  it('only the fingerprint is stored, and the raw key is scrubbed from body and message', () => {
    const line = JSON.stringify({
      status: 401,
      api_key: raw,
      endpoint: `https://api.openai.com/v1/chat/completions`,
      body: { error: { code: 'invalid_api_key', message: `Incorrect API key provided: ${raw}.` } },
    });
    const r = classifyLine(line, { fallbackTs: 0 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record.key_fp).toBe(fingerprintKey(raw));
    expect(r.record.key_fp).toMatch(/^fp_[0-9a-f]{16}$/);
    expect(JSON.stringify(r.record)).not.toContain(raw);
    expect(r.record.message).toContain(fingerprintKey(raw));
  });

  it('an Authorization header value fingerprints like the bare key and is scrubbed in both forms', () => {
    const r = classifyValue(
      { status: 401, api_key: `Bearer ${raw}`, body: `bad header Bearer ${raw}` },
      { fallbackTs: 0 },
    );
    expect(r.ok && r.record.key_fp).toBe(fingerprintKey(raw));
    expect(JSON.stringify(r)).not.toContain(raw);
  });

  it('key_id is used as given, unless it looks like a raw secret', () => {
    const a = classifyValue({ key_id: 'team-a/key-3', status: 200 }, { fallbackTs: 0 });
    expect(a.ok && a.record.key_fp).toBe('team-a/key-3');
    const zhipuKey = '0123456789abcdef0123456789abcdef.AbCdEfGhIjKlMnOp';
    const b = classifyValue({ key_id: zhipuKey, status: 200 }, { fallbackTs: 0 });
    expect(b.ok && b.record.key_fp).toBe(fingerprintKey(zhipuKey));
    const uuid = '550e8400-e29b-41d4-a716-446655440000';
    const c = classifyValue({ key_id: uuid }, { fallbackTs: 0 });
    expect(c.ok && c.record.key_fp).toBe(uuid);
  });

  it('a Gemini key in the URL query is fingerprinted and stripped from the endpoint', () => {
    const key = 'AIzaSyA1234567890abcdefghijklmnopqrstu';
    const r = classifyValue(
      { status: 429, url: `https://generativelanguage.googleapis.com/v1beta/models/x:generateContent?key=${key}` },
      { fallbackTs: 0 },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record.endpoint).toBe('https://generativelanguage.googleapis.com/v1beta/models/x:generateContent');
    expect(r.record.key_fp).toBe(fingerprintKey(key));
    expect(JSON.stringify(r.record)).not.toContain(key);
  });
});

describe('classifyLine: the CallRecord contract', () => {
  it('an ok call: tokens (OpenAI, Anthropic, Gemini names), ts, empty body', () => {
    for (const usage of [
      { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
      { input_tokens: 11, output_tokens: 7 },
      { promptTokenCount: 11, candidatesTokenCount: 7, totalTokenCount: 18 },
    ]) {
      const r = classifyLine(
        JSON.stringify({
          ts: '2026-01-02T03:04:05.678Z',
          status: 200,
          model: 'glm-4.6',
          tenant: 't1',
          latency_ms: '812.4',
          usage,
          stream: true,
          request_id: 'r1',
        }),
        { fallbackTs: 5 },
      );
      expect(r).toEqual({
        ok: true,
        record: {
          ts: Date.parse('2026-01-02T03:04:05.678Z'),
          provider: 'unknown',
          model: 'glm-4.6',
          key_fp: '',
          tenant: 't1',
          endpoint: '',
          http_status: 200,
          category: 'ok',
          code: '200',
          known: true,
          retryable: false,
          reset_at: null,
          message: '',
          request_id: 'r1',
          stream: true,
          finish_reason: '',
          latency_ms: 812,
          prompt_tokens: 11,
          completion_tokens: 7,
          total_tokens: 18,
          body: '',
        },
      });
    }
  });

  it('missing ts uses the fallback; epoch ms and epoch seconds are accepted', () => {
    const f = (ts: unknown) => {
      const r = classifyValue({ ts, status: 200 }, { fallbackTs: 1_700_000_000_000 });
      return r.ok ? r.record.ts : r.reason;
    };
    expect(f(undefined)).toBe(1_700_000_000_000);
    expect(f(1_750_000_000_123)).toBe(1_750_000_000_123);
    expect(f(1_750_000_000)).toBe(1_750_000_000_000);
    expect(f('2026-08-25T07:41:44+08:00')).toBe(Date.parse('2026-08-24T23:41:44Z'));
    expect(f('2026-08-25 07:41:44')).toBe(Date.parse('2026-08-25T07:41:44Z'));
    expect(f('2026-08-25T07:41:44.5Z')).toBe(Date.parse('2026-08-25T07:41:44.500Z'));
  });

  it('an error: body is compact JSON truncated to 2048, message to 1024, reset_at epoch ms', () => {
    const long = 'x'.repeat(5000);
    const r = classifyValue(
      {
        status: 429,
        body: { error: { code: '1310', message: `Your limit will reset at 2026-08-01 10:03:40 ${long}` } },
      },
      { fallbackTs: 0 },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record.body.length).toBe(2048);
    expect(r.record.body.startsWith('{"error":{"code":"1310"')).toBe(true);
    expect(r.record.message.length).toBe(1024);
    expect(r.record.reset_at).toBe(Date.parse('2026-08-01T02:03:40Z'));
  });

  it('a 2xx body is a failure only when it says so', () => {
    const ok = classifyValue(
      { status: 200, body: { id: 'chatcmpl-1', object: 'chat.completion', choices: [{ finish_reason: 'stop' }] } },
      { fallbackTs: 0 },
    );
    expect(ok.ok && ok.record).toMatchObject({ category: 'ok', code: '200', body: '' });
    const anthropicOk = classifyValue({ status: 200, body: { type: 'message', id: 'msg_1' } }, { fallbackTs: 0 });
    expect(anthropicOk.ok && anthropicOk.record.category).toBe('ok');
    const relayed = classifyValue({ status: 200, body: { error: { code: '1113', message: 'x' } } }, { fallbackTs: 0 });
    expect(relayed.ok && relayed.record).toMatchObject({ category: 'quota', code: '1113', http_status: 200 });
  });

  it('a network failure without status: http_status 0', () => {
    const r = classifyValue({ error: { code: 'ECONNRESET', message: 'socket hang up' } }, { fallbackTs: 0 });
    expect(r.ok && r.record).toMatchObject({
      http_status: 0,
      category: 'network',
      code: 'ECONNRESET',
      retryable: true,
    });
  });

  it.each([
    ['not json', 'invalid JSON'],
    ['[1,2]', 'not a JSON object'],
    ['"str"', 'not a JSON object'],
    ['null', 'not a JSON object'],
    ['', 'empty line'],
    ['   \r', 'empty line'],
    ['{"ts":"yesterday"}', 'ts'],
    ['{"ts":{}}', 'ts'],
    ['{"latency_ms":"fast"}', 'latency_ms'],
    // Beyond what the store holds (normalize.ts): ClickHouse would wrap these or fail the block on them.
    ['{"latency_ms":4294967296}', 'latency_ms: 4294967296 is beyond 4294967295'],
    ['{"latency_ms":1e300}', 'latency_ms: 1e+300 is beyond'],
    ['{"usage":{"prompt_tokens":1e30}}', 'usage.prompt_tokens: 1e+30 is beyond'],
    ['{"usage":{"output_tokens":"99999999999999999999999"}}', 'usage.completion_tokens: "9999'],
    ['{"usage":{"total_tokens":4294967296}}', 'usage.total_tokens: 4294967296 is beyond'],
    ['{"ts":"2100-01-01T00:00:00Z"}', 'ts: "2100-01-01T00:00:00Z" is not between 1990 and 2100'],
    ['{"ts":"1989-12-31T23:59:59Z"}', 'ts: "1989-12-31T23:59:59Z" is not between 1990 and 2100'],
    ['{"ts":1e300}', 'ts: 1e+300 is not between'],
    ['{"model":{"a":1}}', 'model'],
    ['{"headers":[1]}', 'headers'],
  ])('rejects %j (%s)', (line, reason) => {
    const r = classifyLine(line, { fallbackTs: 0 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it.each([
    [
      '{"status":"teapot","body":{"error":{"code":"1310","message":"Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40"}}}',
      '"teapot"',
    ],
    [
      '{"status":1000,"body":{"error":{"code":"1310","message":"Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40"}}}',
      '1000',
    ],
    [
      '{"status":[429],"body":{"error":{"code":"1310","message":"Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40"}}}',
      'array',
    ],
  ])('a status that is not an HTTP status (%s) is dropped with a note; the body still classifies', (line, shown) => {
    const r = classifyLine(line, { fallbackTs: 0 });
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.record).toMatchObject({
        code: '1310',
        category: 'quota',
        http_status: 0,
        reset_at: Date.UTC(2026, 7, 1, 2, 3, 40),
      });
    const c = classifyOne(JSON.parse(line));
    expect(c.notes).toHaveLength(1);
    expect(c.notes![0]).toContain(shown);
    expect(c.notes![0]).toContain('not an HTTP status');
  });

  it('a key in any text of the envelope is stored and answered as its fingerprint', () => {
    const k = 'sk-proj-Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa';
    const shaped = 'sk-8Hh2Kk4Mm6Pp8Rr0Tt2Vv4Xx6Zz8Bb0Dd2Ff4Hh6';
    const cases: [object, Record<string, string>][] = [
      // A gateway with the key in the URL's path; the key is known from api_key.
      [
        { url: `https://gw.example.com/v1/${k}/chat/completions`, api_key: k, model: 'gpt-4o', status: 500 },
        { endpoint: `https://gw.example.com/v1/${fingerprintKey(k)}/chat/completions` },
      ],
      // Logged by mistake into the model and finish_reason fields; known from the Authorization header.
      [
        { headers: { authorization: `Bearer ${k}` }, model: k, finish_reason: `stop ${k}`, status: 200 },
        { model: fingerprintKey(k), finish_reason: `stop ${fingerprintKey(k)}` },
      ],
      // Unknown to the envelope, recognised by its shape: tenant, request id.
      [
        { provider: 'openai', tenant: `acme ${shaped}`, request_id: shaped, status: 429 },
        { tenant: `acme ${fingerprintKey(shaped)}`, request_id: fingerprintKey(shaped) },
      ],
    ];
    for (const [envelope, expected] of cases) {
      const r = classifyValue(envelope, { fallbackTs: Date.now() });
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.record).toMatchObject(expected);
      const printed = JSON.stringify([r.record, classifyOne(envelope)]);
      expect(printed).not.toContain(k);
      expect(printed).not.toContain(shaped);
    }
  });

  it('rejects lines over maxBytes, counting UTF-8 bytes', () => {
    const line = JSON.stringify({ status: 200, model: '模'.repeat(400) });
    expect(classifyLine(line, { fallbackTs: 0, maxBytes: 1000 })).toMatchObject({ ok: false });
    expect(classifyLine(line, { fallbackTs: 0, maxBytes: 2000 })).toMatchObject({ ok: true });
    expect(classifyLine(new TextEncoder().encode(line), { fallbackTs: 0, maxBytes: 1000 })).toMatchObject({
      ok: false,
    });
  });

  it('accepts bytes, a BOM and CRLF; rejects invalid UTF-8', () => {
    expect(classifyLine(new TextEncoder().encode('{"status":200}\r'), { fallbackTs: 0 })).toMatchObject({ ok: true });
    expect(classifyLine('\uFEFF{"status":200}', { fallbackTs: 0 })).toMatchObject({ ok: true });
    expect(classifyLine(new Uint8Array([0x7b, 0xff, 0x7d]), { fallbackTs: 0 })).toMatchObject({ ok: false });
  });
});
