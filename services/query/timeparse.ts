// Pure parsing of the query API's time inputs: absolute/relative instants, durations and steps,
// and the choice of rollup resolution for a range. No I/O; `now` is always passed in.

import { RETENTION_DAYS } from '../core/retention.js';

/** A problem with a time input, phrased so the caller can fix the request. */
export class TimeInputError extends Error {
  override name = 'TimeInputError';
}

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;
type Unit = keyof typeof UNIT_MS;

export const MINUTE_MS: number = UNIT_MS.m;
export const HOUR_MS: number = UNIT_MS.h;
export const DAY_MS: number = UNIT_MS.d;

/** Longest accepted range (what the hourly rollup keeps). */
export const MAX_RANGE_MS: number = RETENTION_DAYS.calls_1h * DAY_MS;
/** Most points one series may have (Grafana draws nothing useful beyond screen width anyway). */
export const MAX_POINTS = 11_000;

// 1970-01-02..2105: the rollups' DateTime columns cannot hold more, and ClickHouse does not read
// epoch seconds below 10 000 as a DateTime parameter (`to=6` was a 500).
const MIN_MS = 86_400_000;
const MAX_MS = Date.UTC(2105, 11, 31);

const DURATION_RE = /^(\d{1,9})(ms|s|m|h|d|w)$/;
const RELATIVE_RE = /^now(?:([+-])(\d{1,9})(s|m|h|d|w))?(?:\/(m|h|d|w))?$/;
const EPOCH_RE = /^\d{1,15}$/;
// ISO 8601 date, optionally with time and zone; Date.parse alone accepts too many oddities.
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** `15m`, `24h`, `30s`, `7d`, `1w`, `500ms` -> milliseconds (> 0). */
export function parseDuration(input: string, name = 'duration'): number {
  const m = DURATION_RE.exec(input.trim());
  if (!m) {
    throw new TimeInputError(
      `${name} '${input}' is not a duration: use a number and a unit (ms, s, m, h, d, w), e.g. 15m`,
    );
  }
  const ms = Number(m[1]) * UNIT_MS[m[2] as Unit];
  if (ms <= 0) throw new TimeInputError(`${name} '${input}' must be greater than zero`);
  return ms;
}

function floorTo(ms: number, unit: Unit): number {
  if (unit === 'w') {
    // Weeks start on Monday (epoch day 0 was a Thursday).
    const day = Math.floor(ms / DAY_MS);
    return (day - ((day + 3) % 7)) * DAY_MS;
  }
  const size = UNIT_MS[unit];
  return Math.floor(ms / size) * size;
}

/**
 * An instant: epoch milliseconds (`1732233600000`), ISO 8601 (`2026-11-21T10:00:00Z`, UTC when no
 * zone is given) or Grafana-style relative time (`now`, `now-6h`, `now-7d/d`).
 */
export function parseTime(input: string, nowMs: number, name = 'time'): number {
  const s = input.trim();
  let ms: number;
  const rel = RELATIVE_RE.exec(s);
  if (rel) {
    ms = nowMs;
    if (rel[1] && rel[2] && rel[3]) ms += (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNIT_MS[rel[3] as Unit];
    if (rel[4]) ms = floorTo(ms, rel[4] as Unit);
  } else if (EPOCH_RE.test(s)) {
    ms = Number(s);
  } else if (ISO_RE.test(s)) {
    let iso = s.replace(' ', 'T');
    if (iso.length > 10 && !/(?:Z|[+-]\d{2}:?\d{2})$/.test(iso)) iso += 'Z';
    ms = Date.parse(iso);
  } else {
    throw new TimeInputError(
      `${name} '${input}' is not a time: use epoch milliseconds, ISO 8601 (2026-11-21T10:00:00Z) or now-<n><s|m|h|d|w>`,
    );
  }
  if (!Number.isFinite(ms)) throw new TimeInputError(`${name} '${input}' is not a valid date`);
  if (ms < MIN_MS || ms > MAX_MS) throw new TimeInputError(`${name} '${input}' is outside 1970-01-02..2105`);
  return ms;
}

export interface TimeRange {
  from: number;
  to: number;
}

/**
 * The request's range: defaults to=now, from=to-defaultSpan. Rejects from >= to and ranges over
 * `maxRangeMs`.
 */
export function parseRange(
  q: { from?: string | undefined; to?: string | undefined },
  nowMs: number,
  defaultSpanMs = HOUR_MS,
  maxRangeMs = MAX_RANGE_MS,
): TimeRange {
  const to = q.to === undefined || q.to === '' ? nowMs : parseTime(q.to, nowMs, 'to');
  // A defaulted start never falls before the earliest time either.
  const from =
    q.from === undefined || q.from === '' ? Math.max(MIN_MS, to - defaultSpanMs) : parseTime(q.from, nowMs, 'from');
  if (from >= to) {
    throw new TimeInputError(
      `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`,
    );
  }
  if (to - from > maxRangeMs) {
    throw new TimeInputError(
      `the range is ${formatDuration(to - from)}, over the limit of ${formatDuration(maxRangeMs)}: narrow from/to`,
    );
  }
  return { from, to };
}

export type Resolution = '1m' | '1h' | '1d';
const RESOLUTION_MS: Record<Resolution, number> = { '1m': MINUTE_MS, '1h': HOUR_MS, '1d': DAY_MS };

/** How long each rollup keeps data (core/retention.ts), minus a safety margin of one bucket. */
export const RETENTION_MS: Record<Resolution, number> = {
  '1m': RETENTION_DAYS.calls_1m * DAY_MS - HOUR_MS,
  '1h': RETENTION_DAYS.calls_1h * DAY_MS - DAY_MS,
  '1d': RETENTION_DAYS.calls_1d * DAY_MS,
};

export interface SeriesPlan {
  resolution: Resolution;
  /** Bucket width of the answer: a multiple of the resolution. */
  step_ms: number;
  /** Number of points per series (buckets from floor(from, step) up to `to`). */
  points: number;
  /** First bucket start (epoch ms, aligned on step_ms). */
  start: number;
}

/**
 * Resolution follows the range (<= 6h: 1m, <= 14d: 1h, else 1d), is never finer than the step
 * asked for, and is coarsened when the range starts before the finer rollup's retention. The step
 * is rounded up to a multiple of the resolution. Throws when the series would exceed `maxPoints`.
 */
export function planSeries(range: TimeRange, nowMs: number, stepMs?: number, maxPoints = MAX_POINTS): SeriesPlan {
  const span = range.to - range.from;
  let resolution: Resolution = span <= 6 * HOUR_MS ? '1m' : span <= 14 * DAY_MS ? '1h' : '1d';
  if (stepMs !== undefined) {
    if (stepMs >= DAY_MS) resolution = '1d';
    else if (stepMs >= HOUR_MS && resolution === '1m') resolution = '1h';
  }
  if (resolution === '1m' && range.from < nowMs - RETENTION_MS['1m']) resolution = '1h';
  if (resolution === '1h' && range.from < nowMs - RETENTION_MS['1h']) resolution = '1d';
  const res = RESOLUTION_MS[resolution];
  const step_ms = stepMs === undefined ? res : Math.max(res, Math.ceil(stepMs / res) * res);
  const start = Math.floor(range.from / step_ms) * step_ms;
  const points = Math.ceil((range.to - start) / step_ms);
  if (points > maxPoints) {
    throw new TimeInputError(
      `${points} points per series at step ${formatDuration(step_ms)} is over the limit of ${maxPoints}: use a larger step or a shorter range`,
    );
  }
  return { resolution, step_ms, points, start };
}

/** Bucket starts of a plan, in order (used to zero-fill series). */
export function bucketStarts(plan: SeriesPlan, to: number): number[] {
  const out: number[] = [];
  for (let t = plan.start; t < to; t += plan.step_ms) out.push(t);
  return out;
}

/** 90061000 -> `1d1h1m1s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * UNIT_MS[unit];
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}
