// The worker's pre-aggregation (services/store/calls.ts rollupRows): one row per minute x dimension
// set, sums equal to the calls planted, and the same block always giving the same rows in the same
// order (what lets a redelivered segment's insert be dropped by its deduplication token).
import { describe, expect, it } from 'vitest';
import { histogramArrays } from '../../services/core/latency-histogram.js';
import { rollupRows, type StoredCall } from '../../services/store/calls.js';
import { readTables, rollupTable } from '../../services/store/tables.js';
import { mulberry32 } from '../../services/traffic/index.js';

const T0 = Date.UTC(2026, 7, 3, 10, 0, 0);

function block(n: number, seed: number): StoredCall[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const failed = r() < 0.2;
    return {
      ts: T0 + Math.floor(r() * 5 * 60_000),
      provider: r() < 0.5 ? 'zhipu' : 'openai',
      model: 'm',
      key_fp: `fp_${Math.floor(r() * 4)}`,
      tenant: 't',
      endpoint: '',
      http_status: failed ? 429 : 200,
      category: failed ? 'rate_limit' : 'ok',
      code: failed ? '1302' : '200',
      known: true,
      retryable: failed,
      reset_at: failed && r() < 0.5 ? T0 + Math.floor(r() * 3_600_000) : null,
      message: '',
      request_id: `r${i}`,
      stream: false,
      finish_reason: '',
      latency_ms: r() < 0.1 ? null : Math.floor(r() * 3000),
      prompt_tokens: failed ? 0 : 10,
      completion_tokens: failed ? 0 : 5,
      total_tokens: failed ? 0 : 15,
      body: '',
      src: 'kafka',
      kafka_topic: 't',
      kafka_partition: 0,
      kafka_offset: i,
    };
  });
}

describe('rollupRows', () => {
  const calls = block(5000, 3);
  const rows = rollupRows(calls);

  it('one row per minute x dimension set, sums equal the planted calls', () => {
    const sets = new Set(
      calls.map((c) => [Math.floor(c.ts / 60_000), c.provider, c.key_fp, c.category, c.code, c.http_status].join('|')),
    );
    expect(rows.length).toBe(sets.size);
    const sum = (f: (g: (typeof rows)[number]) => number) => rows.reduce((s, g) => s + f(g), 0);
    expect(sum((g) => g.calls)).toBe(calls.length);
    expect(sum((g) => g.errors)).toBe(calls.filter((c) => c.category !== 'ok').length);
    expect(sum((g) => g.total_tokens)).toBe(calls.reduce((s, c) => s + c.total_tokens, 0));
    expect(sum((g) => g.latency_count)).toBe(calls.filter((c) => c.latency_ms !== null).length);
    expect(sum((g) => g.latency_sum)).toBe(calls.reduce((s, c) => s + (c.latency_ms ?? 0), 0));
    expect(sum((g) => [...g.latency_hist.values()].reduce((a, b) => a + b, 0))).toBe(sum((g) => g.latency_count));
    for (const g of rows) {
      expect(g.bucket % 60).toBe(0);
      const mine = calls.filter(
        (c) =>
          Math.floor(c.ts / 60_000) * 60 === g.bucket &&
          c.provider === g.provider &&
          c.key_fp === g.key_fp &&
          c.code === g.code,
      );
      const resets = mine.map((c) => c.reset_at).filter((x): x is number => x !== null);
      expect(g.last_reset_at).toBe(resets.length ? Math.max(...resets) : null);
    }
  });

  it('is deterministic: the same block gives identical rows in identical order', () => {
    const again = rollupRows(block(5000, 3));
    expect(again.map((g) => ({ ...g, latency_hist: histogramArrays(g.latency_hist) }))).toEqual(
      rows.map((g) => ({ ...g, latency_hist: histogramArrays(g.latency_hist) })),
    );
  });
});

describe('rollupTable', () => {
  it('reads the fleet rollup unless a query groups or filters by key or tenant', () => {
    const t = readTables('db');
    expect(t[rollupTable('1h', [])]).toBe('db.calls_fleet_1h_v3');
    expect(t[rollupTable('1m', ['provider', 'code'])]).toBe('db.calls_fleet_1m_v3');
    expect(t[rollupTable('1d', ['provider', 'key'])]).toBe('db.calls_1d_v2');
    expect(t[rollupTable('1h', ['tenant'])]).toBe('db.calls_1h_v2');
  });
});
