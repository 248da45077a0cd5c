import { describe, expect, it } from 'vitest';
import { fromAccessLog, fromEnvelope, fromNewApiLog, GATEWAY_MAPPERS } from '../../services/cli/gateway-logs.js';

describe('new-api log rows', () => {
  const errorRow = {
    id: 991,
    user_id: 7,
    created_at: 1_787_651_304,
    type: 5,
    content: 'Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40 (request id: 2026072812345)',
    username: 'alice',
    token_name: 'ci-bot',
    token_id: 42,
    model_name: 'glm-4.6',
    quota: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    use_time: 2,
    is_stream: true,
    group: 'team-a',
    other: JSON.stringify({
      status_code: 429,
      error_code: '1310',
      error_type: 'zhipu_error',
      channel_type_name: 'zhipu',
    }),
  };

  it('maps an error row to an envelope with status, code and message', () => {
    const r = fromNewApiLog(errorRow);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.envelope).toMatchObject({
      ts: 1_787_651_304_000,
      provider: 'zhipu',
      model: 'glm-4.6',
      key_id: 'new-api-token-42',
      tenant: 'team-a',
      status: 429,
      stream: true,
      latency_ms: 2000,
      error: { code: '1310', type: 'zhipu_error', message: errorRow.content },
    });
  });

  it('maps a consume row to a successful call with its tokens', () => {
    const r = fromNewApiLog({ ...errorRow, type: 2, other: '{}', prompt_tokens: 120, completion_tokens: 30 });
    expect(r.ok && r.envelope.status).toBe(200);
    expect(r.ok && r.envelope.usage).toEqual({ prompt_tokens: 120, completion_tokens: 30 });
    expect(r.ok && r.envelope.provider).toBe('new-api');
  });

  it('rejects rows that are not API calls, and non-objects, with a reason', () => {
    const topUp = fromNewApiLog({ ...errorRow, type: 1 });
    expect(topUp).toEqual({ ok: false, reason: expect.stringContaining('not an API call') });
    expect(fromNewApiLog('x').ok).toBe(false);
    expect(fromNewApiLog([errorRow]).ok).toBe(false);
  });

  it('tolerates a malformed `other` column', () => {
    const r = fromNewApiLog({ ...errorRow, other: '{not json' });
    expect(r.ok && r.envelope.status).toBeUndefined();
    expect(r.ok && r.envelope.error).toEqual({ message: errorRow.content });
  });
});

describe('JSON access logs', () => {
  it('maps an nginx-style line, keeping only what the classifier needs', () => {
    const r = fromAccessLog({
      time_iso8601: '2026-08-25T07:41:44+08:00',
      status: '429',
      request_time: '0.153',
      upstream_host: 'open.bigmodel.cn',
      request_uri: '/api/paas/v4/chat/completions',
      http_authorization: 'Bearer sk-live-abcdef',
      request_id: 'req-1',
      response_body: '{"error":{"code":"1302","message":"High concurrency"}}',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.envelope).toEqual({
      ts: '2026-08-25T07:41:44+08:00',
      url: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
      api_key: 'sk-live-abcdef',
      status: 429,
      latency_ms: 153,
      request_id: 'req-1',
      body: '{"error":{"code":"1302","message":"High concurrency"}}',
    });
  });

  it('reads epoch seconds and durations in ms', () => {
    const r = fromAccessLog({ timestamp: 1_787_651_304.5, status: 200, duration_ms: 88, key_id: 'k1' });
    expect(r.ok && r.envelope).toMatchObject({ ts: 1_787_651_304_500, latency_ms: 88, key_id: 'k1', status: 200 });
  });

  it('rejects a line without a status', () => {
    expect(fromAccessLog({ time: 'x' })).toEqual({ ok: false, reason: 'access log line has no numeric status' });
  });
});

describe('registry', () => {
  it('names every mapper `ship --from` accepts', () => {
    expect(Object.keys(GATEWAY_MAPPERS).sort()).toEqual(['access-log', 'envelope', 'new-api']);
    expect(fromEnvelope({ status: 200 })).toEqual({ ok: true, envelope: { status: 200 } });
    expect(fromEnvelope(3).ok).toBe(false);
  });
});
