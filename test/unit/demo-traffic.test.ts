import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../services/core/types.js';
import { demoKey, formatCst, generateTraffic, planTraffic } from '../../services/traffic/index.js';

const HOUR = 3_600_000;
const end = Date.UTC(2026, 7, 25, 12, 0, 0);
const opts = { startMs: end - 6 * HOUR, endMs: end, ratePerSec: 2, seed: 7, keys: 20, surgeKeys: 2 };

const cache = new Map<string, Envelope[]>();
const all = (o = opts): Envelope[] => {
  const k = JSON.stringify(o);
  if (!cache.has(k)) cache.set(k, [...generateTraffic(o)]);
  return cache.get(k)!;
};
const bodyCode = (e: Envelope): string | undefined => {
  const b = e.body as { error?: { code?: unknown; type?: unknown } } | undefined;
  return typeof b === 'object' && b?.error ? String(b.error.code ?? b.error.type) : undefined;
};

describe('demo traffic', () => {
  it('is deterministic for a seed and different across seeds', () => {
    expect(JSON.stringify(all().slice(0, 200))).toBe(JSON.stringify(all().slice(0, 200)));
    expect(JSON.stringify(all({ ...opts, seed: 8 }).slice(0, 200))).not.toBe(JSON.stringify(all().slice(0, 200)));
  });

  it('stays inside the range, second by second', () => {
    const calls = all();
    let prevSecond = Number.NEGATIVE_INFINITY;
    const violations: string[] = [];
    for (const c of calls) {
      const ts = Date.parse(String(c.ts));
      if (!(ts >= opts.startMs && ts < opts.endMs)) violations.push(`out of range: ${c.ts}`);
      const second = Math.floor(ts / 1000);
      if (second < prevSecond) violations.push(`out of order: ${c.ts}`);
      prevSecond = second;
    }
    expect(violations).toEqual([]);
    // 6 h at <= 2 calls/s with the daily rhythm: between the night floor and the peak.
    expect(calls.length).toBeGreaterThan(0.25 * 2 * 6 * 3600 * 0.8);
    expect(calls.length).toBeLessThan(2 * 6 * 3600 * 1.2);
  });

  it('plants the 1310 surge only on the surge keys, after the surge start, with the planned reset time', () => {
    const plan = planTraffic(opts);
    expect(plan.surgeKeys).toEqual([demoKey(0), demoKey(1)]);
    const surge = all().filter((e) => bodyCode(e) === '1310');
    expect(surge.length).toBeGreaterThan(20);
    for (const e of surge) {
      expect(plan.surgeKeys).toContain(e.api_key);
      expect(Date.parse(String(e.ts))).toBeGreaterThanOrEqual(plan.surgeStartMs);
      expect(JSON.stringify(e.body)).toContain(`reset at ${formatCst(plan.surgeResetMs)}`);
    }
  });

  it('walls the wall key with 1308 until the end and mixes English and Chinese wordings', () => {
    const plan = planTraffic(opts);
    const wall = all().filter((e) => e.api_key === plan.wallKey && Date.parse(String(e.ts)) >= plan.wallStartMs);
    expect(wall.length).toBeGreaterThan(0);
    expect(wall.every((e) => bodyCode(e) === '1308')).toBe(true);
    const text = JSON.stringify(wall);
    expect(text).toContain('Usage limit reached for 5 hour');
    expect(text).toContain('已达到 5 小时的使用上限');
  });

  it('formats reset times in China Standard Time without a zone', () => {
    expect(formatCst(Date.UTC(2026, 7, 24, 23, 41, 44))).toBe('2026-08-25 07:41:44');
  });
});

describe('demo traffic through the classifier', () => {
  it('classifies every planted episode as what it is, with the planted reset times', async () => {
    const { classifyBatch } = await import('../../services/core/index.js');
    const { fingerprintKey } = await import('../../services/core/fingerprint.js');
    const plan = planTraffic(opts);
    const byCode = new Map<string, { category: string; resets: Set<number | null>; keys: Set<string> }>();
    const { rows, rejected } = classifyBatch(
      [...all()].map((e) => ({ value: JSON.stringify(e), fallbackTs: opts.endMs })),
    );
    const invalid = rejected.length;
    for (const record of rows) {
      const c = byCode.get(record.code) ?? { category: record.category, resets: new Set(), keys: new Set() };
      c.resets.add(record.reset_at);
      c.keys.add(record.key_fp);
      byCode.set(record.code, c);
    }
    expect(invalid).toBe(0);
    expect(byCode.get('1310')?.category).toBe('quota');
    expect([...(byCode.get('1310')?.resets ?? [])]).toEqual([plan.surgeResetMs]);
    expect([...(byCode.get('1310')?.keys ?? [])].sort()).toEqual(plan.surgeKeys.map(fingerprintKey).sort());
    expect(byCode.get('1308')?.category).toBe('quota');
    expect(byCode.get('1308')?.resets.has(plan.wallResetMs)).toBe(true);
    expect(byCode.get('1113')?.category).toBe('quota');
    expect(byCode.get('1302')?.category).toBe('rate_limit');
    expect(byCode.get('rate_limit_exceeded')?.category).toBe('rate_limit');
    expect(byCode.get('1305')?.category).toBe('rate_limit');
    expect(byCode.get('1312')?.category).toBe('overload');
    expect(byCode.get('overloaded_error')?.category).toBe('overload');
    expect(byCode.get('200')?.category).toBe('ok');
    // Raw demo keys never survive classification.
    for (const c of byCode.values()) for (const k of c.keys) expect(k.startsWith('sk-')).toBe(false);
  });
});

describe('demo traffic: the insight episodes', () => {
  it('a client keeps calling into its 1308 wall on a timer until the end', () => {
    const plan = planTraffic(opts);
    const rw = plan.retryWaste;
    expect([...plan.surgeKeys, plan.wallKey, plan.arrearsKey]).not.toContain(rw.key);
    const calls = all().filter((e) => e.api_key === rw.key && Date.parse(String(e.ts)) >= rw.startMs);
    // At least one call per retry period from the start to the end of the range.
    expect(calls.length).toBeGreaterThanOrEqual(Math.floor((opts.endMs - rw.startMs) / rw.everyMs) - 1);
    expect(calls.every((e) => bodyCode(e) === '1308')).toBe(true);
    expect(JSON.stringify(calls[0]?.body)).toContain(`reset at ${formatCst(rw.resetMs)}`);
    expect(rw.resetMs).toBeGreaterThan(opts.endMs);
  });

  it('the planted overload episode hits zhipu and zai calls of many keys and tenants', () => {
    const plan = planTraffic(opts);
    expect(plan.overloadEpisodes).toContainEqual(plan.incident);
    const hit = all().filter((e) => {
      const ts = Date.parse(String(e.ts));
      return ts >= plan.incident.startMs && ts < plan.incident.endMs && ['1305', '1312'].includes(bodyCode(e) ?? '');
    });
    expect(new Set(hit.map((e) => e.api_key)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(hit.map((e) => e.tenant)).size).toBeGreaterThanOrEqual(3);
  });

  it('after the drift start some 1308s come in a wording without a reset time', () => {
    const plan = planTraffic(opts);
    const drifted = all().filter((e) => JSON.stringify(e.body ?? '').includes('Quota for the current 5-hour window'));
    expect(drifted.length).toBeGreaterThan(0);
    for (const e of drifted) expect(Date.parse(String(e.ts))).toBeGreaterThanOrEqual(plan.driftStartMs);
  });
});
