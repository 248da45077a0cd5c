import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compareUtf8, topSeries } from '../../services/store/rollups.js';

describe('topSeries: the label sets a series keeps, and its row order', () => {
  const row = (time: number, code: string, calls: number, errors: number) => ({ time, code, calls, errors });

  test('keeps the label sets with the most errors, then calls, then the smaller label; rows by time, then rank', () => {
    const rows = [
      row(60, 'c', 5, 1), // c: 1 error, 5 calls
      row(0, 'a', 1, 1), // a: 2 errors, 3 calls
      row(60, 'a', 2, 1),
      row(0, 'b', 9, 2), // b: 2 errors, 9 calls
      row(0, 'd', 1, 1), // d: 2 errors, 3 calls (ties a, ranks after it)
      row(60, 'd', 2, 1),
      row(0, 'e', 50, 0), // e: no errors
    ];
    // Rank: b (2 errors, 9 calls), a (2, 3, 'a' < 'd'), d, c, e.
    expect(topSeries(rows, ['code'], 3)).toEqual([
      row(0, 'b', 9, 2),
      row(0, 'a', 1, 1),
      row(0, 'd', 1, 1),
      row(60, 'a', 2, 1),
      row(60, 'd', 2, 1),
    ]);
    expect(topSeries(rows, ['code'], 100).map((r) => `${r.time}${r.code}`)).toEqual([
      '0b',
      '0a',
      '0d',
      '0e',
      '60a',
      '60d',
      '60c',
    ]);
  });

  test('label sets of several dimensions; numbers compare by value', () => {
    const rows = [
      { time: 0, provider: 'x', http_status: 500, calls: 1, errors: 1 },
      { time: 0, provider: 'x', http_status: 429, calls: 1, errors: 1 },
      { time: 0, provider: 'w', http_status: 503, calls: 1, errors: 1 },
    ];
    expect(topSeries(rows, ['provider', 'http_status'], 2)).toEqual([rows[2], rows[1]]);
  });

  test('no rows, no label sets', () => {
    expect(topSeries([], ['code'], 10)).toEqual([]);
  });
});

describe('compareUtf8 orders strings as their UTF-8 bytes do', () => {
  test('a code point above U+FFFF sorts after U+E000-FFFF (UTF-16 code units say the opposite)', () => {
    expect(compareUtf8('\u{1F600}', '\uFF21')).toBeGreaterThan(0);
    expect('\u{1F600}' < '\uFF21').toBe(true);
    expect(compareUtf8('ab', 'abc')).toBeLessThan(0);
    expect(compareUtf8('b', 'abc')).toBeGreaterThan(0);
    expect(compareUtf8('same', 'same')).toBe(0);
  });

  test('agrees with Buffer.compare of the UTF-8 encodings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      }),
      { numRuns: 2000 },
    );
  });
});
