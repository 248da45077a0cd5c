// The taxonomy against the seed documents: every seed row must be present and classify as written in
// test/unit/fixtures/seeds.ts, and every taxonomy row must be well-formed and reachable.
import { describe, expect, it } from 'vitest';
import { CATEGORIES, GENERIC, lookupCode, PROVIDERS, TAXONOMY } from '../../services/core/index.js';
import { classifyOne } from '../helpers/classify-one.js';
import {
  fillTemplate,
  SEED_BUSINESS,
  SEED_BUSINESS_OLD,
  SEED_HTTP_GENERIC,
  SEED_HTTP_ZHIPU,
  SEED_NEW_API,
} from './fixtures/seeds.js';

const rowsOf = (provider: string, code: string) => TAXONOMY.filter((e) => e.provider === provider && e.code === code);

describe('seed 000-002: Zhipu / Z.AI HTTP status table', () => {
  for (const provider of ['zhipu', 'zai']) {
    it.each(SEED_HTTP_ZHIPU)(`${provider} %i %s`, (status, reason, category) => {
      const row = rowsOf(provider, String(status)).find((e) => e.title === reason);
      expect(row, `taxonomy lacks ${provider} ${status} "${reason}"`).toBeDefined();
      expect(row!.http_status).toBe(status);
      expect(row!.category).toBe(category);
      expect(row!.remedy).not.toBe('');
      // The reason text as message picks this very variant.
      const c = classifyOne({
        provider,
        status,
        body: status === 200 ? undefined : { error: { message: reason } },
      });
      expect(c.category).toBe(category);
      expect(c.code).toBe(String(status));
      expect(c.known).toBe(true);
    });
  }
});

describe('seed 001: Z.AI business codes', () => {
  for (const provider of ['zhipu', 'zai']) {
    it.each(SEED_BUSINESS)(`${provider} %s`, (code, template, category) => {
      const rows = rowsOf(provider, code);
      expect(rows.length, `taxonomy lacks ${provider} ${code}`).toBeGreaterThan(0);
      const { text, vars } = fillTemplate(template);
      const c = classifyOne({
        provider,
        status: rows[0]!.http_status ?? 400,
        body: { error: { code, message: text } },
      });
      expect(c.code).toBe(code);
      expect(c.known).toBe(true);
      expect(c.category).toBe(category);
      expect(c.provider).toBe(provider);
      for (const [name, value] of Object.entries(vars)) {
        if (name === 'next_flush_time') expect(c.reset_at).toBe('2026-08-24T23:41:44.000Z');
        else expect(c.vars[name], `${code} var ${name}`).toBe(value);
      }
    });
  }

  it('covers exactly the codes of seed 001 (the fixture list is complete)', () => {
    const codes = SEED_BUSINESS.map(([c]) => c);
    expect(codes).toEqual([
      '500',
      ...['1000', '1001', '1002', '1003', '1004', '1100'],
      ...['1110', '1111', '1112', '1113', '1120', '1121'],
      ...['1200', '1210', '1211', '1212', '1213', '1214', '1215', '1220', '1221', '1222', '1230', '1231'],
      ...['1234', '1261'],
      ...['1300', '1301', '1302', '1303', '1304', '1305', '1308', '1309', '1310', '1311', '1312', '1313'],
    ]);
  });

  it.each(SEED_BUSINESS_OLD)('seed 002 code %s is in the taxonomy for both providers', (code) => {
    expect(lookupCode('zhipu', code)).toBeDefined();
    expect(lookupCode('zai', code)).toBeDefined();
  });

  it('quota, rate_limit and overload codes follow the issue definitions', () => {
    for (const code of ['1113', '1304', '1308', '1309', '1310'])
      expect(lookupCode('zhipu', code)!.category).toBe('quota');
    for (const code of ['1302', '1303', '1305', '1313']) expect(lookupCode('zhipu', code)!.category).toBe('rate_limit');
    expect(lookupCode('zhipu', '1312')!.category).toBe('overload');
  });
});

describe('seed 003: new-api gateway table', () => {
  it.each(SEED_NEW_API)('%i %s %s', (status, id, message, category) => {
    const row = id === '-' ? String(status) : id;
    expect(rowsOf('new-api', row).length, `taxonomy lacks new-api ${row}`).toBeGreaterThan(0);
    // Without a code of its own, the relay's error type is the code (CATEGORIES: code rule); the status row
    // still decides the category.
    const code = id === '-' ? 'new_api_error' : id;
    const c = classifyOne({
      provider: 'new-api',
      status,
      body: { error: { message, type: 'new_api_error', code: id === '-' ? '' : id } },
    });
    expect(c.code).toBe(code);
    expect(c.category).toBe(category);
    expect(c.known).toBe(true);
  });

  it('detects new-api from the body when the provider is not given', () => {
    const c = classifyOne({
      status: 403,
      body: {
        error: {
          message: 'Your account balance is insufficient.',
          type: 'new_api_error',
          code: 'insufficient_user_quota',
        },
      },
    });
    expect(c.provider).toBe('new-api');
    expect(c.category).toBe('quota');
  });
});

describe('seed 004: generic HTTP statuses', () => {
  it.each(SEED_HTTP_GENERIC)('%i without a body', (status, category, retryable) => {
    expect(lookupCode(GENERIC, String(status))).toBeDefined();
    for (const provider of [undefined, 'openai', 'deepseek']) {
      const c = classifyOne({ status, provider });
      expect(c.category).toBe(category);
      expect(c.retryable).toBe(retryable);
      expect(c.code).toBe(String(status));
      expect(c.http_status).toBe(status);
    }
  });

  it('refines a 400 by its message: context exceeds limit', () => {
    expect(classifyOne({ status: 400, body: 'context length exceeded: 131072 tokens' }).category).toBe(
      'context_length',
    );
  });
});

describe('taxonomy rows', () => {
  it('uses only the closed category set and known providers', () => {
    for (const e of TAXONOMY) {
      expect(CATEGORIES).toContain(e.category);
      expect([...PROVIDERS, GENERIC]).toContain(e.provider);
      expect(e.code).not.toBe('');
      expect(e.title).not.toBe('');
      expect(e.remedy).not.toBe('');
    }
  });

  it('has exactly one default variant per (provider, code), or only conditional ones', () => {
    const defaults = new Map<string, number>();
    for (const e of TAXONOMY) {
      const k = `${e.provider}/${e.code}`;
      defaults.set(k, (defaults.get(k) ?? 0) + (e.match === null ? 1 : 0));
    }
    for (const [k, n] of defaults) expect(n, k).toBeLessThanOrEqual(1);
  });

  it('every conditional variant compiles and is reachable through its own title/template', () => {
    for (const e of TAXONOMY) {
      if (e.match === null) continue;
      const re = new RegExp(e.match, 'i');
      const sample = e.template_en ?? e.title;
      expect(re.test(sample) || re.test(e.template_zh ?? ''), `${e.provider} ${e.code} ${e.title}`).toBe(true);
    }
  });

  it.each(
    TAXONOMY.filter((e) => (e.template_en ?? '').includes('${') || (e.template_zh ?? '').includes('${')).map(
      (e) => [e.provider, e.code, e] as const,
    ),
  )('%s %s: template variables round-trip', (provider, code, e) => {
    for (const template of [e.template_en, e.template_zh]) {
      if (!template?.includes('${')) continue;
      const { text, vars } = fillTemplate(template);
      const c = classifyOne({ provider, status: e.http_status ?? 400, body: { error: { code, message: text } } });
      expect(c.code).toBe(code);
      for (const [name, value] of Object.entries(vars)) expect(c.vars[name], `${template} ${name}`).toBe(value);
    }
  });

  it('lookupCode answers the default variant, falls back to * rows, and is undefined for unknown codes', () => {
    expect(lookupCode('zhipu', '1310')!.category).toBe('quota');
    expect(lookupCode('zai', 1302)!.category).toBe('rate_limit');
    expect(lookupCode('openai', '503')!.provider).toBe(GENERIC);
    expect(lookupCode('zhipu', '1314')).toBeUndefined();
    expect(lookupCode('zhipu', '429')!.title).toBe('Interface request concurrency exceeded');
  });
});
