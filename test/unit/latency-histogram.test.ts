// The latency histogram's error bound, proven against exact nearest-rank quantiles on planted
// latency distributions, and the SQL read-back agreeing with the JavaScript one is in
// test/int/storage-v2.int.test.ts.
import { describe, expect, it } from 'vitest';
import {
  addLatency,
  bucketValue,
  exactQuantile,
  type Histogram,
  histogramArrays,
  histogramQuantile,
  latencyBucket,
  RELATIVE_ERROR,
} from '../../services/core/latency-histogram.js';
import { mulberry32 } from '../../services/traffic/index.js';

const QS = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

function checkBound(values: number[]): number {
  const h: Histogram = new Map();
  for (const v of values) addLatency(h, v);
  const [b, c] = histogramArrays(h);
  const sorted = [...values].sort((x, y) => x - y);
  let worst = 0;
  for (const q of QS) {
    const exact = exactQuantile(sorted, q) as number;
    const got = histogramQuantile(b, c, q) as number;
    const err = exact === 0 ? got : Math.abs(got - exact) / exact;
    worst = Math.max(worst, err);
    expect(err, `q=${q} exact=${exact} got=${got}`).toBeLessThanOrEqual(0.05);
  }
  return worst;
}

describe('latency histogram', () => {
  it('every integer latency from 0 to 200000 ms reads back within 5%', () => {
    let worst = 0;
    for (let v = 1; v <= 200_000; v++) worst = Math.max(worst, Math.abs(bucketValue(latencyBucket(v)) - v) / v);
    expect(worst).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-12);
    expect(bucketValue(latencyBucket(0))).toBe(0);
    // UInt32's largest latency still has a bucket that fits the UInt16 column.
    expect(latencyBucket(2 ** 32 - 1)).toBeLessThan(65_536);
  });

  it('buckets are monotone in the latency', () => {
    let prev = 0;
    for (let v = 0; v <= 50_000; v += 7) {
      const b = latencyBucket(v);
      expect(b).toBeGreaterThanOrEqual(prev);
      prev = b;
    }
  });

  const rand = mulberry32(42);
  const shapes: [string, () => number][] = [
    ['uniform 300..2800 ms', () => Math.round(300 + rand() * 2500)],
    ['log-normal around 800 ms', () => Math.round(Math.exp(Math.log(800) + 0.9 * gaussian(rand)))],
    [
      'bimodal fast errors and slow calls',
      () => (rand() < 0.2 ? Math.round(20 + rand() * 30) : Math.round(2000 + rand() * 8000)),
    ],
    ['heavy tail (Pareto)', () => Math.round(100 / (1 - rand()) ** 0.7)],
    ['with zeros', () => (rand() < 0.1 ? 0 : Math.round(rand() * 500))],
  ];
  for (const [name, draw] of shapes) {
    it(`quantiles of ${name} are within 5% of the exact ones (n = 1, 10, 1000, 100000)`, () => {
      for (const n of [1, 10, 1000, 100_000]) checkBound(Array.from({ length: n }, draw));
    });
  }

  it('merging histograms (sumMap) equals the histogram of the union', () => {
    const a = Array.from({ length: 5000 }, () => Math.round(rand() * 3000));
    const b = Array.from({ length: 3000 }, () => Math.round(1000 + rand() * 9000));
    const ha: Histogram = new Map();
    const hb: Histogram = new Map();
    const hu: Histogram = new Map();
    for (const v of a) addLatency(ha, v);
    for (const v of b) addLatency(hb, v);
    for (const v of [...a, ...b]) addLatency(hu, v);
    for (const [k, c] of hb) ha.set(k, (ha.get(k) ?? 0) + c);
    expect(histogramArrays(ha)).toEqual(histogramArrays(hu));
    expect(checkBound([...a, ...b])).toBeLessThanOrEqual(0.05);
  });

  it('an empty histogram has no quantile', () => {
    expect(histogramQuantile([], [], 0.5)).toBeNull();
    expect(exactQuantile([], 0.5)).toBeNull();
  });
});

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}
