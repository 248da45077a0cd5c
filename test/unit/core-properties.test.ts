// No input, however malformed, makes the core throw; every accepted line yields a well-formed record.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, type CallRecord, fingerprintKey } from '../../services/core/index.js';
// White-box: the value-level step under classifyBatch, to reach it with values no JSON line can carry.
import { analyzeValue } from '../../services/core/process.js';
import { classifyLine } from '../helpers/classify-one.js';

const opts = { fallbackTs: 1_750_000_000_000 };
const processValue = (v: unknown) => analyzeValue(v, opts.fallbackTs);
/** The category `classify` prints: the verdict's, or `unknown` for a rejected value. */
const categoryOf = (v: unknown) => {
  const a = processValue(v);
  return a.ok ? a.verdict.category : 'unknown';
};

function wellFormed(r: CallRecord): void {
  expect(CATEGORIES).toContain(r.category);
  expect(Number.isFinite(r.ts)).toBe(true);
  expect(Number.isInteger(r.http_status)).toBe(true);
  expect(typeof r.code).toBe('string');
  expect(r.body.length).toBeLessThanOrEqual(2048);
  expect(r.message.length).toBeLessThanOrEqual(1024);
  expect(r.reset_at === null || Number.isFinite(r.reset_at)).toBe(true);
}

// Envelope-shaped values with hostile field values, so the generator reaches deep into the classifier.
const anyField = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.string(),
  fc.constantFrom('429', '1310', 'abc', '', '[1310][x][y]', 'Error code: 429 - {', '{"error":', "{'a': None"),
);
const errorish = fc.record(
  {
    code: anyField,
    type: anyField,
    status: anyField,
    message: fc.oneof(fc.string(), fc.constantFrom('[1310][reset at 2026-99-99 99:99:99][x]', '(request id: ')),
  },
  { requiredKeys: [] },
);
const envelope = fc.record(
  {
    ts: anyField,
    provider: anyField,
    endpoint: anyField,
    status: anyField,
    api_key: anyField,
    key_id: anyField,
    headers: fc.oneof(
      anyField,
      fc.dictionary(fc.constantFrom('retry-after', 'x-ratelimit-reset-requests', 'x-ratelimit-reset'), anyField),
    ),
    usage: anyField,
    finish_reason: fc.oneof(anyField, fc.constantFrom('sensitive', 'network_error', 'SAFETY')),
    body: fc.oneof(
      anyField,
      errorish,
      fc.record({ error: errorish }),
      errorish.map((e) => JSON.stringify({ error: e })),
    ),
    error: fc.oneof(anyField, errorish),
  },
  { requiredKeys: [] },
);

describe('never throws', () => {
  it('the value step and the classification on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const r = processValue(v);
        if (r.ok) wellFormed(r.record);
        expect(CATEGORIES).toContain(categoryOf(v));
      }),
      { numRuns: 500 },
    );
  });

  it('the value step on envelope-shaped hostile values', () => {
    fc.assert(
      fc.property(envelope, (v) => {
        const r = processValue(v);
        if (r.ok) wellFormed(r.record);
        else expect(r.reason).not.toBe('');
        categoryOf(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('classifyBatch on arbitrary strings and bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (s) => {
        const r = classifyLine(s, opts);
        if (r.ok) wellFormed(r.record);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = classifyLine(bytes, opts);
        if (r.ok) wellFormed(r.record);
      }),
      { numRuns: 1000 },
    );
  });

  it('deep nesting and huge strings', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(classifyLine(deep, opts).ok).toBe(false);
    let nested: unknown = { error: { code: '1310', message: 'x' } };
    for (let i = 0; i < 5_000; i++) nested = { error: nested };
    expect(() => processValue({ status: 429, body: nested })).not.toThrow();
    const deepBody = `{"status":429,"body":${'{"error":'.repeat(3000)}1${'}'.repeat(3000)}}`;
    expect(() => classifyLine(deepBody, opts)).not.toThrow();
    const huge = JSON.stringify({ status: 429, body: { error: { code: '1310', message: 'y'.repeat(900_000) } } });
    const r = classifyLine(huge, opts);
    expect(r.ok && r.record.message.length).toBe(1024);
    expect(classifyLine(`${huge}${' '.repeat(200_000)}`, opts)).toMatchObject({ ok: false });
  });

  it('found by fast-check: absurd retry-after values do not break the reset date', () => {
    for (const ra of [8638204692466.7, 1e300, -5, '99999999999999999']) {
      const v = { headers: { 'retry-after': ra }, body: { error: {} } };
      expect(classifyLine(JSON.stringify(v), opts)).toMatchObject({ ok: true, record: { reset_at: null } });
      const r = processValue(v);
      expect(r.ok && r.record.reset_at).toBeNull();
    }
  });

  it('exotic runtime values (BigInt, throwing getters, cycles) are rejected, not thrown', () => {
    const cyclic: Record<string, unknown> = { status: 429 };
    cyclic.body = cyclic;
    const getter = Object.defineProperty({}, 'status', {
      get() {
        throw new Error('boom');
      },
      enumerable: true,
    });
    for (const v of [cyclic, getter, { status: 429, body: { error: { code: 10n } } }, { ts: 10n }]) {
      expect(() => processValue(v)).not.toThrow();
      expect(() => categoryOf(v)).not.toThrow();
    }
  });
});

describe('raw keys never reach the output', () => {
  it('for any key placed in api_key and echoed in the body', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 64 }).filter((k) => k.trim().length >= 8 && !/^[\s\d.-]*$/.test(k)),
        fc.constantFrom(400, 401, 403, 429),
        (key, status) => {
          const v = {
            status,
            api_key: key,
            body: { error: { code: 'invalid_api_key', message: `bad key ${key} given` } },
          };
          const r = processValue(v);
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.record.key_fp).toBe(fingerprintKey(key));
          const escaped = JSON.stringify(key).slice(1, -1);
          for (const field of [r.record.body, r.record.message, r.record.key_fp]) {
            expect(field.includes(key)).toBe(false);
            expect(field.includes(escaped)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
