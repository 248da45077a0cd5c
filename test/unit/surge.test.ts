import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  baselineRate,
  evaluateSurge,
  expectedCount,
  isSurging,
  poissonZ,
  surgeRatio,
} from '../../services/query/surge.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('surge math', () => {
  test.each([
    // count, baseline, window, baseline window, expected
    [10, 96, 15 * MIN, 24 * HOUR, 1],
    [0, 0, 15 * MIN, 24 * HOUR, 0],
    [5, 48, 30 * MIN, 24 * HOUR, 1],
    [3, 7, 1 * HOUR, 7 * HOUR, 1],
  ])('count %i with baseline %i: expected %f', (count, baseline, w, b, expected) => {
    expect(expectedCount(baseline, b, w)).toBeCloseTo(expected, 10);
    const r = evaluateSurge({ count, baselineCount: baseline, windowMs: w, baselineMs: b }, { minCount: 5, ratio: 3 });
    expect(r.expected).toBeCloseTo(expected, 10);
    expect(r.ratio).toBeCloseTo(count / Math.max(expected, 1), 10);
    expect(r.score).toBeCloseTo((count - expected) / Math.sqrt(Math.max(expected, 1)), 10);
  });

  test.each([
    // count, ratio, score, thresholds, surging
    [1, 1, 0, { minCount: 5, ratio: 3 }, false], // 1 vs 0 is not a surge
    [4, 40, 30, { minCount: 5, ratio: 3 }, false],
    [5, 3, 2, { minCount: 5, ratio: 3 }, true],
    [5, 2.99, 2, { minCount: 5, ratio: 3 }, false],
    [50, 10, 2.5, { minCount: 5, ratio: 3, z: 3 }, false],
    [50, 10, 3, { minCount: 5, ratio: 3, z: 3 }, true],
  ])('isSurging(count %i, ratio %f, score %f)', (count, ratio, score, t, want) => {
    expect(isSurging(count, ratio, score, t)).toBe(want);
  });

  test('an empty baseline uses the floor: finite ratio and score', () => {
    const r = evaluateSurge(
      { count: 12, baselineCount: 0, windowMs: 15 * MIN, baselineMs: 24 * HOUR },
      { minCount: 5, ratio: 3 },
    );
    expect(r).toEqual({ expected: 0, ratio: 12, score: 12, surging: 1 });
    expect(baselineRate(10, 0)).toBe(0);
    expect(surgeRatio(3, 0, 0.5)).toBe(6);
    expect(poissonZ(3, 0, 4)).toBe(1.5);
    expect(() =>
      evaluateSurge(
        { count: 1, baselineCount: 1, windowMs: 1, baselineMs: 1 },
        { minCount: 1, ratio: 1, expectedFloor: 0 },
      ),
    ).toThrow(RangeError);
  });

  test('properties: a steady rate never surges at ratio 3; more errors never lower the score', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 96 }), (perWindow, windows) => {
        const r = evaluateSurge(
          { count: perWindow, baselineCount: perWindow * windows, windowMs: 15 * MIN, baselineMs: windows * 15 * MIN },
          { minCount: 5, ratio: 3 },
        );
        expect(r.surging).toBe(0);
        expect(Number.isFinite(r.ratio) && Number.isFinite(r.score)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (count, baseline) => {
        const a = evaluateSurge(
          { count, baselineCount: baseline, windowMs: MIN, baselineMs: HOUR },
          { minCount: 1, ratio: 1 },
        );
        const b = evaluateSurge(
          { count: count + 1, baselineCount: baseline, windowMs: MIN, baselineMs: HOUR },
          { minCount: 1, ratio: 1 },
        );
        expect(b.score).toBeGreaterThan(a.score);
        expect(b.ratio).toBeGreaterThan(a.ratio);
      }),
    );
  });
});
