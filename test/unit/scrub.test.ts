// The one scrubber: every placement of a key is replaced by its fingerprint, ordinary text is left
// alone. Keys are random per run, so nothing passes by matching a constant.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintKey, scrubSecrets } from '../../services/core/fingerprint.js';
import { classifyLine } from '../helpers/classify-one.js';

const hex = (n: number) => randomBytes(n).toString('hex');
const b64 = (n: number) => randomBytes(n).toString('base64');

describe('scrubSecrets', () => {
  const sk = `sk-proj-${hex(20)}`;
  const zhipu = `${hex(16)}.${randomBytes(12).toString('base64url').slice(0, 16).replace(/[-_]/g, 'x')}`;
  const azure = hex(16);
  const google = `AIza${randomBytes(30).toString('base64url').slice(0, 35)}`;
  const odd = `${b64(24)}+/=`; // needs URL encoding
  const cases: [string, string, string][] = [
    ['sk- key in prose', `Incorrect API key provided: ${sk}.`, sk],
    ['Zhipu key in prose', `key ${zhipu} is not valid`, zhipu],
    ['Google key in prose', `API key not valid: ${google}`, google],
    ['api_key JSON field', `{"api_key":"${azure}","status":401}`, azure],
    ['escaped JSON field', `{"raw":"{\\"api_key\\":\\"${azure}\\"}"}`, azure],
    ['Authorization header JSON', `{"headers":{"Authorization":"Bearer ${azure}"}}`, azure],
    ['x-api-key header text', `x-api-key: ${azure}`, azure],
    ['api-key header JSON', `{"api-key": "${azure}"}`, azure],
    ['Bearer in text', `sent Authorization Bearer ${azure} and failed`, azure],
    [
      '?api-key= in a URL',
      `POST https://x.openai.azure.com/openai/deployments/d/chat?api-version=1&api-key=${azure} failed`,
      azure,
    ],
    ['?key= in a URL', `https://generativelanguage.googleapis.com/v1/models/g:generate?key=${azure}&alt=sse`, azure],
    ['URL-encoded value', `https://h/p?api-key=${encodeURIComponent(odd)}`, encodeURIComponent(odd)],
    ['URL-encoded separator', `next=%2Fp%3Fapi-key%3D${azure}`, azure],
  ];
  for (const [name, text, secret] of cases) {
    it(`removes ${name}`, () => {
      const out = scrubSecrets(text);
      expect(out).not.toContain(secret);
      expect(out).toContain(fingerprintKey(secret).slice(0, 3));
    });
  }

  it('removes keys given explicitly, raw, JSON-escaped and URL-encoded', () => {
    const k = `p"q${b64(20)}/+`;
    const text = `a ${k} b ${JSON.stringify(k).slice(1, -1)} c ${encodeURIComponent(k)}`;
    const out = scrubSecrets(text, [k]);
    expect(out).not.toContain(k);
    expect(out).not.toContain(JSON.stringify(k).slice(1, -1));
    expect(out).not.toContain(encodeURIComponent(k));
    expect(out.split(fingerprintKey(k)).length - 1).toBe(3);
  });

  it('leaves ordinary error text as it is', () => {
    for (const t of [
      'Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500',
      'Authorization: missing',
      'Invalid API key',
      'The API key is invalid. Please pass a valid key.',
      '{"error":{"code":"1113","message":"余额不足或无可用资源包,请充值。"}}',
      'missing Bearer authentication',
      'token limit exceeded: 128000 tokens',
    ]) {
      expect(scrubSecrets(t)).toBe(t);
    }
  });
});

describe('stored texts of a call', () => {
  it('keys in headers, URLs and the body never reach message, body or the rejection reason', () => {
    const k1 = hex(16);
    const k2 = hex(16);
    const line = JSON.stringify({
      provider: 'openai',
      url: `https://x.openai.azure.com/openai/deployments/d/chat/completions?api-key=${k2}`,
      headers: { authorization: `Bearer ${k1}` },
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${k1}; see ?api-key=${k2}`, code: 'invalid_api_key' } },
    });
    const r = classifyLine(line, { fallbackTs: Date.now() });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const stored = JSON.stringify(r.record);
    expect(stored).not.toContain(k1);
    expect(stored).not.toContain(k2);
    expect(r.record.key_fp).toBe(fingerprintKey(k2));
  });

  it('a refused line says why without quoting a key', () => {
    const k = `sk-${hex(20)}`;
    const r = classifyLine(`${k} is not json`, { fallbackTs: Date.now() });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).not.toContain(k);
    const t = classifyLine(JSON.stringify({ ts: `Bearer ${k}` }), { fallbackTs: Date.now() });
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.reason).not.toContain(k);
  });
});
