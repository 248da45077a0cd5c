// One test per rule class of the classifier (issue 15): each plants the signal the rule reads and checks
// the one field that rule decides. The real-world corpus (real-world.test.ts) proves them on field data.
import { describe, expect, it } from 'vitest';
import type { Classification } from '../../services/core/index.js';
import { meaningOf, periodOf, relativeDelayMs, withoutUrls } from '../../services/core/meaning.js';
import { scanText, statusIn } from '../../services/core/scan.js';
import { classifyOne } from '../helpers/classify-one.js';

const c = (e: unknown): Classification => classifyOne(e);
const TS = '2026-08-01T00:00:00.000Z';
const T0 = Date.parse(TS);

describe('absence of a status is not success', () => {
  it('an envelope with no evidence either way is unknown, never ok', () => {
    expect(c({})).toMatchObject({ category: 'unknown', code: '', http_status: null });
    expect(c({ model: 'glm-4.6', latency_ms: 120 })).toMatchObject({ category: 'unknown' });
  });

  it('no status with a success signal is ok: token usage, a normal finish, a completion body', () => {
    expect(c({ usage: { prompt_tokens: 5, completion_tokens: 7 } }).category).toBe('ok');
    expect(c({ finish_reason: 'stop' }).category).toBe('ok');
    expect(c({ body: { choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }] } }).category).toBe('ok');
  });

  it('no status with an unrecognised error string is a failure, categorized from its words', () => {
    const r = c({ error: 'something went wrong upstream, sorry' });
    expect(r.category).not.toBe('ok');
    expect(r.category).toBe('server_error');
    expect(c({ error: 'zzz qqq' }).category).toBe('unknown');
  });

  it('a status that is not a number is dropped with a note; the body is still classified', () => {
    const message = 'Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 07:41:44';
    const r = c({ status: 'teapot', body: { error: { code: '1308', message } } });
    expect(r).toMatchObject({ code: '1308', category: 'quota', http_status: null });
    expect(r.reset_at).toBe(new Date(Date.UTC(2026, 7, 24, 23, 41, 44)).toISOString());
    expect(r.notes?.[0]).toContain('"teapot"');
  });
});

describe('status and body embedded in free text (bounded scanner)', () => {
  it.each([
    ['Error code: 403 - {x}', 403],
    ['API Error: 529 {x}', 529],
    ['API Error (429 {x}) · Retrying…', 429],
    ['Error: 429 Too Many Requests {x}', 429],
    ['HttpError: Invalid status code 429 Too Many Requests with message: {x}', 429],
    ['Status 429\nBody: {x}', 429],
    ['got status: 429 Too Many Requests. {x}', 429],
    ['ClientError: 429 RESOURCE_EXHAUSTED. {x}', 429],
    ['[400 Bad Request] API key not valid', 400],
    ['Request rejected (429) · later', 429],
    ['HTTP请求失败: 500, 响应: x', 500],
    ['状态码：400，参数错误', 400],
    ['(HTTP response code was 401)', 401],
  ])('%j states %i', (text, status) => {
    expect(statusIn(text.replace('{x}', '{…}'))).toBe(status);
  });

  it.each([
    'model gpt-4-0613 failed',
    'context length is 128000 tokens',
    'connect ETIMEDOUT 202.160.128.210:443',
    'error code 1113 from the provider',
    'at ClientRequest (node:_http_client:494:9)',
    'Content-Length: 224',
  ])('%j states no status (numbers that are not statuses)', (text) => {
    expect(statusIn(text)).not.toBe(Number(/\b(\d{3})\b/.exec(text)?.[1]));
  });

  it('finds the embedded object (JSON or Python repr) and cuts it out of the prose', () => {
    const s = scanText("An error occurred: Error code: 403 - {'error': {'code': 'x', 'message': 'it\\'s denied'}}");
    expect(s.status).toBe(403);
    expect(s.object).toEqual({ error: { code: 'x', message: "it's denied" } });
    expect(s.prose).not.toContain("'code'");
  });

  it('classifies the embedded object as if it were the body', () => {
    const r = c({
      error:
        "An error occurred: Error code: 403 - {'error': {'message': 'quota exceeded', 'type': 'insufficient_user_quota'}}",
    });
    expect(r).toMatchObject({ code: 'insufficient_user_quota', http_status: 403, category: 'quota' });
  });

  it('stays bounded on a huge text', () => {
    const text = `Error code: 429 - ${'{'.repeat(50_000)} ${'x'.repeat(1_000_000)}`;
    const t = performance.now();
    // Over the default 1 MiB line limit: raised, so the scanner itself is what is timed.
    const r = classifyOne({ error: text }, { maxBytes: 4_000_000 });
    expect(r.http_status).toBe(429);
    expect(performance.now() - t).toBeLessThan(2_000);
  });
});

describe('bracket codes anywhere in text', () => {
  it('reads [1261] and [1211][...] inside longer strings', () => {
    expect(c({ error: 'Upstream request failed: [1261] Prompt exceeds max length' })).toMatchObject({
      code: '1261',
      category: 'context_length',
    });
    expect(c({ error: 'failed: [1211][Model does not exist, please check the model code.][req-1]' })).toMatchObject({
      code: '1211',
      category: 'not_found',
      request_id: 'req-1',
    });
  });

  it('a log prefix like [65373] followed by digits is not a code', () => {
    expect(c({ error: '[65373] 3.24.432 E srv send_error: request exceeds the available context size' }).code).toBe('');
  });
});

describe('wrappers: the innermost provider body wins', () => {
  it('a Gemini body held as text in another error: the inner status word, not the reason phrase', () => {
    const inner = JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } });
    const r = c({ error: { message: inner, code: 503, status: 'Service Unavailable' } });
    expect(r).toMatchObject({ code: 'UNAVAILABLE', category: 'overload', http_status: 503 });
  });

  it("a relay's own code yields to the nested business code", () => {
    const inner = JSON.stringify({ error: { code: '1113', message: '余额不足或无可用资源包,请充值。' } });
    const r = c({ status: 500, body: { error: { code: 'provider_response_error', message: inner } } });
    expect(r).toMatchObject({ code: '1113', category: 'quota' });
  });

  it("the wrapper's own type is the code when nothing inside has one", () => {
    expect(c({ status: 403, body: { error: { message: 'x', type: 'new_api_error' } } }).code).toBe('new_api_error');
  });
});

describe('errors inside 2xx bodies', () => {
  it('Gemini candidates[].finishReason SAFETY and promptFeedback.blockReason', () => {
    expect(c({ status: 200, body: { candidates: [{ finishReason: 'SAFETY' }] } })).toMatchObject({
      category: 'content_policy',
      code: 'SAFETY',
      http_status: 200,
    });
    expect(c({ status: 200, body: { promptFeedback: { blockReason: 'OTHER' } } })).toMatchObject({
      category: 'content_policy',
      code: 'OTHER',
    });
  });

  it('an SSE stream whose error event reports the failure', () => {
    const body = [
      'event: response.created',
      'data: {"type":"response.created","response":{"status":"in_progress"}}',
      'event: response.failed',
      'data: {"type":"response.failed","response":{"status":"failed","error":{"code":"rate_limit_exceeded","message":"Rate limit reached"}}}',
    ].join('\n');
    expect(c({ status: 200, body })).toMatchObject({ code: 'rate_limit_exceeded', category: 'rate_limit' });
  });

  it('OpenAI choices[].finish_reason content_filter', () => {
    expect(c({ status: 200, body: { choices: [{ finish_reason: 'content_filter' }] } }).category).toBe(
      'content_policy',
    );
  });
});

describe('a specific message beats a generic code field', () => {
  it('DeepSeek 402 Insufficient Balance with invalid_request_error in code is quota', () => {
    const body = { error: { message: 'Insufficient Balance', type: 'unknown_error', code: 'invalid_request_error' } };
    expect(c({ status: 402, body })).toMatchObject({ category: 'quota', code: 'invalid_request_error' });
  });

  it('a 429 whose message is the 1310 template but carries no code is quota', () => {
    const message = 'Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40';
    expect(c({ status: 429, body: { error: { message } } })).toMatchObject({ category: 'quota', code: '429' });
  });
});

describe('keywords count in prose, not in URLs', () => {
  it('a help link with "quota" in it does not decide the category', () => {
    expect(withoutUrls('see https://aka.ms/oai/quotaincrease now')).not.toContain('quota');
    const body = { error: { message: 'Requests are throttled. See https://aka.ms/oai/quotaincrease' } };
    expect(c({ status: 429, body }).category).toBe('rate_limit');
  });
});

describe('unknown business code without a status', () => {
  it('is kept, flagged unknown, categorized from its message, never network', () => {
    const message = 'Daily limit reached. Your limit will reset at 2026-09-01 00:00:00';
    const r = c({ body: { error: { code: '1316', message } } });
    expect(r).toMatchObject({ code: '1316', known: false, category: 'quota' });
    expect(r.reset_at).toBe(new Date(Date.UTC(2026, 7, 31, 16, 0, 0)).toISOString());
  });
});

describe('the period decides quota vs rate_limit', () => {
  it.each([
    ['Rate limit reached for requests per minute (RPM): Limit 3', 'rate_limit'],
    ['Quota exceeded for quota metric requests per minute per project', 'rate_limit'],
    ['Too many tokens per day, please wait before trying again.', 'quota'],
    ['You exceeded your current quota, please check your plan and billing details.', 'quota'],
    ['当前请求并发过高，请降低并发', 'rate_limit'],
    ['已达到 5 小时的使用上限', 'quota'],
  ] as const)('%j is %s', (message, category) => {
    expect(meaningOf(message)).toBe(category);
  });

  it('overrules what the provider calls it', () => {
    expect(periodOf('free-models-per-day')).toBe('quota');
    const body = { error: { message: 'Rate limit exceeded: free-models-per-day.', type: 'rate_limit_error' } };
    expect(c({ status: 429, body }).category).toBe('quota');
  });
});

describe('relative retry hints become reset_at', () => {
  it.each([
    ['Please try again in 20s.', 20_000],
    ['try again in 7.66s', 7_660],
    ['Please try again in 20ms.', 20],
    ['Please try again in 1m30s', 90_000],
    ['Please retry after 9 seconds.', 9_000],
    ['Please retry in 37.02s.', 37_020],
    ['请在 20 秒后重试', 20_000],
  ])('%j is %i ms', (text, ms) => {
    expect(relativeDelayMs(text)).toBe(ms);
  });

  it("a client's own backoff (Retrying in N seconds) is not the provider's hint", () => {
    expect(relativeDelayMs('API Error (529 {...}) · Retrying in 18 seconds… (attempt 6/10)')).toBeNull();
  });

  it('reset = call time + delay; Gemini retryDelay and Retry-After too', () => {
    const rl = { error: { message: 'Rate limit reached for requests. Please try again in 20s.' } };
    expect(c({ ts: TS, status: 429, body: rl }).reset_at).toBe(new Date(T0 + 20_000).toISOString());
    const gemini = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'Resource exhausted',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }],
      },
    };
    expect(c({ ts: TS, status: 429, body: gemini }).reset_at).toBe(new Date(T0 + 37_000).toISOString());
    expect(c({ ts: TS, status: 429, headers: { 'Retry-After': '9' } }).reset_at).toBe(
      new Date(T0 + 9_000).toISOString(),
    );
  });
});

describe('providers nobody listed: the generic layer', () => {
  it('exception and error-type names, split into words', () => {
    expect(c({ error: 'An error occurred (ThrottlingException) when calling the Converse operation' })).toMatchObject({
      code: 'ThrottlingException',
      category: 'rate_limit',
    });
    expect(c({ body: { __type: 'ServiceQuotaExceededException', message: 'x' } }).category).toBe('quota');
  });

  it('other envelopes: Response.Error, success:false + errors[], bare message/detail', () => {
    const tencent = { Response: { Error: { Code: 'LimitExceeded.Qps', Message: 'qps limit exceeded' } } };
    expect(c({ body: tencent })).toMatchObject({ code: 'LimitExceeded.Qps', category: 'rate_limit' });
    const cf = { success: false, errors: [{ code: 7003, message: 'Could not route: model not found' }], result: null };
    expect(c({ body: cf })).toMatchObject({ code: '7003', category: 'not_found' });
    expect(c({ status: 404, body: { detail: 'Not Found' } }).category).toBe('not_found');
  });

  it('network only for real connection failures; no signal is unknown', () => {
    expect(c({ error: 'socket hang up' }).category).toBe('network');
    expect(c({ error: 'read ECONNRESET' })).toMatchObject({ category: 'network', code: 'ECONNRESET' });
    expect(c({ error: { code: '1777' } }).category).toBe('unknown');
  });

  it('an Anthropic-shaped body from another host is not read with Anthropic rows', () => {
    const body = { type: 'error', error: { type: 'api_error', message: 'insufficient balance (1008)' } };
    const r = c({ url: 'https://api.minimax.io/anthropic/v1/messages', status: 500, body });
    expect(r).toMatchObject({ code: '1008', category: 'quota' });
  });
});
