// When a provider says a limit resets: a date-time in the message, a Retry-After header, a Go duration
// header. Pure.

const DATE_TIME =
  /(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}))?/i;

const CST_OFFSET_MS = 8 * 3600_000;

/**
 * Parses `2026-08-25 07:41:44` (optionally with a zone) to epoch ms. A time without a zone is taken as
 * China Standard Time (UTC+8) when `zonelessIsCst` (Zhipu/Z.AI write it that way), else as UTC.
 */
export function parseDateTime(text: string, zonelessIsCst: boolean): number | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0, ms);
  const zone = m[8];
  if (zone === undefined) {
    if (zonelessIsCst) t -= CST_OFFSET_MS;
  } else if (zone[0] === '+' || zone[0] === '-') {
    const z = zone.replace(':', '');
    const off = (+z.slice(1, 3) * 60 + +z.slice(3, 5)) * 60_000;
    t -= zone[0] === '+' ? off : -off;
  }
  return Number.isFinite(t) ? t : null;
}

const RESET_PHRASE =
  /(?:reset(?:s)?\s+(?:at|on)|resets?:|try again (?:at|after)|将在|重置时间[:：]?)\s*(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)/i;

/** `... will reset at 2026-08-25 07:41:44` / `将在 2026-08-25 07:41:44 重置` -> epoch ms, or null. */
export function findResetTime(message: string, zonelessIsCst: boolean): number | null {
  if (
    !message.includes('reset') &&
    !message.includes('Reset') &&
    !message.includes('重置') &&
    !message.includes('try again')
  )
    return null;
  const m = RESET_PHRASE.exec(message);
  return m ? parseDateTime(m[1]!, zonelessIsCst) : null;
}

/** Retry-After: delta seconds or an HTTP date, relative to the call time. */
export function parseRetryAfter(value: unknown, callTs: number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? callTs + value * 1000 : null;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return callTs + Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

/**
 * OpenAI's x-ratelimit-reset-* durations, Go's time.Duration text: `1s`, `6m0s`, `20ms`, `1h2m3.5s`;
 * null for anything else (the query API's own durations are core/timeparse.ts parseDuration).
 */
export function parseGoDuration(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of value.trim().matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    matched += m[0];
  }
  return matched !== '' && matched === value.trim() ? total : null;
}
