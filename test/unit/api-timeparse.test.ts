import { describe, expect, test } from 'vitest';
import {
  bucketStarts,
  formatDuration,
  MAX_RANGE_MS,
  parseDuration,
  parseRange,
  parseTime,
  planSeries,
  TimeInputError,
} from '../../services/query/timeparse.js';

const NOW = Date.UTC(2026, 10, 21, 10, 30, 15, 500);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('parseTime', () => {
  test.each([
    ['now', NOW],
    ['now-6h', NOW - 6 * HOUR],
    ['now-7d', NOW - 7 * DAY],
    ['now+30s', NOW + 30_000],
    ['now-1w', NOW - 7 * DAY],
    ['now/d', Date.UTC(2026, 10, 21)],
    ['now-1d/d', Date.UTC(2026, 10, 20)],
    ['now/h', Date.UTC(2026, 10, 21, 10)],
    ['now/w', Date.UTC(2026, 10, 16)], // Monday
    ['1732233600000', 1732233600000],
    ['2026-11-21T10:00:00Z', Date.UTC(2026, 10, 21, 10)],
    ['2026-11-21T10:00:00.250Z', Date.UTC(2026, 10, 21, 10, 0, 0, 250)],
    ['2026-11-21T18:00:00+08:00', Date.UTC(2026, 10, 21, 10)],
    ['2026-11-21 10:00:00', Date.UTC(2026, 10, 21, 10)],
    ['2026-11-21T10:00', Date.UTC(2026, 10, 21, 10)],
    ['2026-11-21', Date.UTC(2026, 10, 21)],
    ['  now-15m ', NOW - 15 * MIN],
  ])('%s', (input, want) => {
    expect(parseTime(input, NOW)).toBe(want);
  });

  test.each([
    'yesterday',
    'now-6',
    'now-6y',
    '2026-13-45',
    '2026-11-21T25:00:00Z',
    '',
    '-5',
    '1e12',
    '9999999999999999',
    'now--1h',
  ])('rejects %j with a message naming the formats', (input) => {
    expect(() => parseTime(input, NOW, 'from')).toThrow(TimeInputError);
    expect(() => parseTime(input, NOW, 'from')).toThrow(/from/);
  });
});

describe('parseDuration', () => {
  test.each([
    ['30s', 30_000],
    ['15m', 15 * MIN],
    ['24h', DAY],
    ['7d', 7 * DAY],
    ['2w', 14 * DAY],
    ['500ms', 500],
  ])('%s', (input, ms) => expect(parseDuration(input)).toBe(ms));
  test.each(['0m', '15', 'm', '1.5h', '-1h', '15 minutes', '1y'])('rejects %j', (input) => {
    expect(() => parseDuration(input, 'step')).toThrow(/step/);
  });
});

describe('parseRange', () => {
  test('defaults: to=now, from=to-1h (or the given span)', () => {
    expect(parseRange({}, NOW)).toEqual({ from: NOW - HOUR, to: NOW });
    expect(parseRange({ to: 'now-1d' }, NOW, 7 * DAY)).toEqual({ from: NOW - 8 * DAY, to: NOW - DAY });
  });
  test('from must be before to, and the range within the limit', () => {
    expect(() => parseRange({ from: 'now', to: 'now-1h' }, NOW)).toThrow(/must be before/);
    expect(() => parseRange({ from: 'now', to: 'now' }, NOW)).toThrow(/must be before/);
    expect(() => parseRange({ from: 'now-401d' }, NOW)).toThrow(/over the limit of 400d/);
    expect(parseRange({ from: `${NOW - MAX_RANGE_MS}` }, NOW).from).toBe(NOW - MAX_RANGE_MS);
  });
});

describe('planSeries', () => {
  test.each([
    // span, step, resolution, step_ms
    [HOUR, undefined, '1m', MIN],
    [6 * HOUR, undefined, '1m', MIN],
    [6 * HOUR + 1, undefined, '1h', HOUR],
    [14 * DAY, undefined, '1h', HOUR],
    [14 * DAY + 1, undefined, '1d', DAY],
    [HOUR, 30_000, '1m', MIN], // rounded up
    [HOUR, 90_000, '1m', 2 * MIN],
    [HOUR, 5 * MIN, '1m', 5 * MIN],
    [6 * HOUR, HOUR, '1h', HOUR], // a coarse step picks the coarser rollup
    [2 * DAY, 90 * MIN, '1h', 2 * HOUR],
    [2 * DAY, DAY, '1d', DAY],
    [30 * DAY, HOUR, '1d', DAY], // never finer than the range's resolution
  ] as const)('span %i step %s -> %s', (span, step, resolution, stepMs) => {
    const plan = planSeries({ from: NOW - span, to: NOW }, NOW, step);
    expect(plan.resolution).toBe(resolution);
    expect(plan.step_ms).toBe(stepMs);
    expect(plan.start % stepMs).toBe(0);
    expect(plan.start).toBeLessThanOrEqual(NOW - span);
    expect(plan.start).toBeGreaterThan(NOW - span - stepMs);
    const buckets = bucketStarts(plan, NOW);
    expect(buckets).toHaveLength(plan.points);
    expect(buckets.at(-1)! + stepMs).toBeGreaterThanOrEqual(NOW);
  });

  test('a range older than the minute rollup keeps reads from the hourly rollup', () => {
    expect(planSeries({ from: NOW - 20 * DAY, to: NOW - 20 * DAY + HOUR }, NOW).resolution).toBe('1h');
    expect(planSeries({ from: NOW - 500 * DAY, to: NOW - 499 * DAY }, NOW).resolution).toBe('1d');
  });

  test('too many points per series is refused with what to change', () => {
    expect(() => planSeries({ from: NOW - HOUR, to: NOW }, NOW, undefined, 10)).toThrow(
      /61 points .* over the limit of 10: use a larger step/,
    );
  });
});

test('formatDuration', () => {
  expect(formatDuration(400 * DAY)).toBe('400d');
  expect(formatDuration(DAY + HOUR + MIN + 1001)).toBe('1d1h1m1s1ms');
  expect(formatDuration(0)).toBe('0s');
});
