// Retry waste: failed calls a client made against a wall it had already been told about. Pure: the
// store hands over a key's non-retryable errors and the minutes in which the key had a success, in
// time order; this module decides which calls were waste and sums them per group.
//
// The rule, per key (a wall belongs to one key):
//   - A minute in which the key had a successful call clears what we know (the wall is gone, or was
//     never the key's): errors in that minute are never waste, though one may open a new wall.
//   - A non-retryable error with a reset time opens a wall until that reset time; every later error of
//     the key before the reset is a wall call (the first error is how the client learned: not waste).
//   - An error repeating the code of the key's previous non-retryable error within `repeatWindowMs`
//     (no reset time: 1113 arrears, an invalid key, a permission error) is a repeat call.
import { lookupCode } from './catalog.js';

export interface WasteInput {
  ts: number;
  key: string;
  tenant: string;
  model: string;
  provider: string;
  code: string;
  category: string;
  reset_at: number | null;
  latency_ms: number | null;
}

type WasteGroupBy = 'key' | 'tenant' | 'model';

export interface WasteRow {
  group: string;
  keys: number;
  wasted_calls: number;
  wall_calls: number;
  repeat_calls: number;
  /** Latency of the wasted calls, summed (ms). */
  wasted_ms: number;
  first_seen: number;
  last_seen: number;
  /** The code of the latest wasted call and its category. */
  code: string;
  category: string;
  provider: string;
  /** Tenant and model of the latest wasted call. */
  tenant: string;
  model: string;
  /** The latest wall's reset time (epoch ms), null when no wasted call was at a wall with one. */
  reset_at: number | null;
  advice: string;
}

export interface WasteOptions {
  by: WasteGroupBy;
  repeatWindowMs: number;
}

const MINUTE = 60_000;

interface KeyState {
  wallUntil: number | null;
  last: { code: string; ts: number } | null;
}

/**
 * `errors` in any order (sorted here by key, then time); `okMinutes` maps a key to the starts of the
 * minutes in which it had a successful call.
 */
export function computeRetryWaste(
  errors: readonly WasteInput[],
  okMinutes: ReadonlyMap<string, ReadonlySet<number>>,
  opts: WasteOptions,
): WasteRow[] {
  const sorted = [...errors].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.ts - b.ts));
  const groups = new Map<string, WasteRow & { keySet: Set<string> }>();
  const states = new Map<string, KeyState>();
  for (const e of sorted) {
    let st = states.get(e.key);
    if (!st) {
      st = { wallUntil: null, last: null };
      states.set(e.key, st);
    }
    const minute = Math.floor(e.ts / MINUTE) * MINUTE;
    // A success in this minute: what came before no longer holds; this error may open a new wall.
    const okMinute = okMinutes.get(e.key)?.has(minute) === true;
    if (okMinute) {
      st.wallUntil = null;
      st.last = null;
    }
    const atWall = st.wallUntil !== null && e.ts < st.wallUntil;
    const repeat = !atWall && st.last !== null && st.last.code === e.code && e.ts - st.last.ts <= opts.repeatWindowMs;
    if (atWall || repeat) {
      const g = e[opts.by];
      let row = groups.get(g);
      if (!row) {
        row = {
          group: g,
          keys: 0,
          keySet: new Set(),
          wasted_calls: 0,
          wall_calls: 0,
          repeat_calls: 0,
          wasted_ms: 0,
          first_seen: e.ts,
          last_seen: e.ts,
          code: e.code,
          category: e.category,
          provider: e.provider,
          tenant: e.tenant,
          model: e.model,
          reset_at: null,
          advice: '',
        };
        groups.set(g, row);
      }
      row.keySet.add(e.key);
      row.wasted_calls++;
      if (atWall) row.wall_calls++;
      else row.repeat_calls++;
      row.wasted_ms += e.latency_ms ?? 0;
      row.first_seen = Math.min(row.first_seen, e.ts);
      if (e.ts >= row.last_seen) {
        row.last_seen = e.ts;
        row.code = e.code;
        row.category = e.category;
        row.provider = e.provider;
        row.tenant = e.tenant;
        row.model = e.model;
      }
      if (atWall && st.wallUntil !== null) row.reset_at = Math.max(row.reset_at ?? 0, st.wallUntil);
    }
    if (e.reset_at !== null && e.reset_at > e.ts) st.wallUntil = Math.max(st.wallUntil ?? 0, e.reset_at);
    st.last = { code: e.code, ts: e.ts };
  }
  return [...groups.values()]
    .map(({ keySet, ...r }) => ({ ...r, keys: keySet.size, advice: wasteAdvice(r) }))
    .sort((a, b) => b.wasted_calls - a.wasted_calls || (a.group < b.group ? -1 : 1));
}

const CATEGORY_ADVICE: Record<string, string> = {
  quota: 'recharge or raise the limit before calling again',
  auth: 'fix the key (invalid, expired or revoked) before calling again',
  account: 'the account is blocked: contact the provider before calling again',
  permission: 'this key may not use this model or API: change the model or the plan',
};

/** One line saying what to do: stop until the reset, fix the key, recharge; the taxonomy's remedy. */
function wasteAdvice(r: Pick<WasteRow, 'code' | 'category' | 'provider' | 'reset_at'>): string {
  const remedy = lookupCode(r.provider, r.code)?.remedy;
  if (r.reset_at !== null) {
    return `stop calling until ${new Date(r.reset_at).toISOString()} (${r.code} resets then)${remedy ? `; ${remedy}` : ''}`;
  }
  const what = CATEGORY_ADVICE[r.category] ?? 'stop retrying a non-retryable error';
  return `stop retrying ${r.code}: ${what}${remedy ? ` (${remedy})` : ''}`;
}
