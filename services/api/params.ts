// Query parameters several routes share, parsed one way: bounded durations (the limit named in the
// answer) and the quota-wall routes' lookback and codes.
import { formatDuration, parseDuration, RETENTION_MS, TimeInputError } from '../query/timeparse.js';
import { InputError, parseList } from './dimensions.js';

/** Longest window read from the minute rollup (its retention): surges, walls, retry waste, incidents. */
export const MINUTE_ROLLUP_WINDOW_MS = RETENTION_MS['1m'];

/** A duration parameter of at most `max`: `window '3d' is over the limit of 1d`. */
export function durationParam(raw: string, name: string, max: number): number {
  const ms = parseDuration(raw, name);
  if (ms > max) throw new TimeInputError(`${name} '${raw}' is over the limit of ${formatDuration(max)}`);
  return ms;
}

/**
 * The window and codes of the quota-wall routes (/quota-walls, its calendar and timeline), as the
 * wall query takes them: walls seen from `lookback` before now, of these codes.
 */
export function wallWindow(
  q: { lookback: string; codes: string },
  nowMs: number,
): { from: number; now: number; codes: string[] } {
  const lookbackMs = durationParam(q.lookback, 'lookback', MINUTE_ROLLUP_WINDOW_MS);
  const codes = parseList(q.codes);
  if (!codes) throw new InputError('codes: give at least one code, e.g. codes=1308,1310');
  return { from: nowMs - lookbackMs, now: nowMs, codes };
}
