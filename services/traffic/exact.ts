// Traffic with exact per-minute control, for tests that plant counts and derive their expected answers
// from what they planted: every key makes `okPerKeyMinute` successful calls a minute, one everyday error
// every `errorEveryMinutes`, and the planted surges, quota walls and unknown codes exactly as asked.
// Deterministic: the same options give the same envelopes (no PRNG).
import { fingerprintKey } from '../core/fingerprint.js';
import type { Envelope } from '../core/types.js';
import {
  anthropicOverloaded,
  arrears,
  concurrencyLimit,
  ENDPOINTS,
  geminiExhausted,
  openaiRpmLimit,
  usageLimit,
  weeklyLimit,
  zhipuInternalError,
} from './shapes.js';

const MINUTE = 60_000;

export interface SeedKey {
  index: number;
  /** The raw key written into envelopes (never stored). */
  raw: string;
  /** What the pipeline stores: `fp_` + 16 hex. */
  fp: string;
  tenant: string;
  provider: 'zhipu' | 'zai' | 'openai' | 'anthropic' | 'gemini';
  model: string;
  url: string;
}

const ROUTES: Pick<SeedKey, 'provider' | 'model' | 'url'>[] = [
  { provider: 'zhipu', model: 'glm-4.6', url: ENDPOINTS.zhipu },
  { provider: 'openai', model: 'gpt-4o-mini', url: ENDPOINTS.openai },
  { provider: 'zai', model: 'glm-4.6', url: ENDPOINTS.zai },
  { provider: 'anthropic', model: 'claude-sonnet-4-5', url: ENDPOINTS.anthropic },
  { provider: 'zhipu', model: 'glm-4.5-air', url: ENDPOINTS.zhipu },
  { provider: 'gemini', model: 'gemini-2.5-flash', url: ENDPOINTS.gemini },
];
const SEED_TENANTS = ['acme', 'globex', 'initech'];

/**
 * Key `i`: even indices are Zhipu-family keys (zhipu / zai, which speak the 1xxx business codes),
 * odd indices are openai / anthropic / gemini. Tenants cycle over SEED_TENANTS.
 */
export function seedKeys(n: number): SeedKey[] {
  return Array.from({ length: n }, (_, index) => {
    const raw = `sk-seed-${String(index).padStart(4, '0')}-${((index + 1) * 2654435761).toString(16).padStart(8, '0')}`;
    const route = ROUTES[index % ROUTES.length]!;
    return { index, raw, fp: fingerprintKey(raw), tenant: SEED_TENANTS[index % SEED_TENANTS.length]!, ...route };
  });
}

type WallCode = '1308' | '1310' | '1113';

export interface SeedOptions {
  /** Inclusive start and exclusive end (epoch ms); traffic is generated minute by minute. */
  startMs: number;
  endMs: number;
  /** Number of keys (default 6). */
  keys?: number;
  /** Successful calls per key per minute (default 2). */
  okPerKeyMinute?: number;
  /** One everyday error per key every N minutes (default 7; 0 = none). */
  errorEveryMinutes?: number;
  /** Extra 1310 errors (weekly/monthly limit) per minute on these (even) keys from `startMs` on. */
  surge?: { keys: number[]; startMs: number; perMinute: number; resetMs: number };
  /**
   * From `startMs` on, the key makes no successful call: only `perMinute` (default 1) errors with
   * `code`, whose message says the limit resets at `resetMs` (null: 1113 arrears, no reset time).
   */
  walls?: { key: number; code: WallCode; startMs: number; perMinute?: number; resetMs: number | null }[];
  /** Codes the taxonomy does not know (Zhipu shape, provider zhipu), `count` calls at `atMs`. */
  unknown?: { code: string; atMs: number; count: number; message?: string }[];
}

export interface Seeded {
  keys: SeedKey[];
  /** In time order. */
  envelopes: Envelope[];
}

function wallBody(code: WallCode, resetMs: number | null, requestId: string): Partial<Envelope> {
  switch (code) {
    case '1310':
      return weeklyLimit(resetMs ?? 0, requestId);
    case '1308':
      return usageLimit(resetMs ?? 0);
    case '1113':
      return arrears();
  }
}

/** The everyday failures, one shape per provider, rotating with `n`. */
function everydayError(key: SeedKey, n: number): Partial<Envelope> {
  switch (key.provider) {
    case 'openai':
      return openaiRpmLimit(key.model);
    case 'anthropic':
      return anthropicOverloaded();
    case 'gemini':
      return geminiExhausted();
    default:
      return n % 2 === 0 ? concurrencyLimit() : zhipuInternalError();
  }
}

/** Deterministic envelopes for a range; same options, same envelopes. */
export function generateEnvelopes(opts: SeedOptions): Seeded {
  const keys = seedKeys(opts.keys ?? 6);
  const okPer = opts.okPerKeyMinute ?? 2;
  const every = opts.errorEveryMinutes ?? 7;
  for (const k of [...(opts.surge?.keys ?? []), ...(opts.walls ?? []).map((w) => w.key)]) {
    if (k % 2 !== 0 || k >= keys.length)
      throw new Error(`surge/wall key ${k} must be an even index below ${keys.length}`);
  }
  const envelopes: Envelope[] = [];
  let seq = 0;
  const base = (key: SeedKey, ts: number): Envelope => ({
    ts: new Date(ts).toISOString(),
    url: key.url,
    model: key.model,
    api_key: key.raw,
    tenant: key.tenant,
    request_id: `req-seed-${(seq++).toString(36)}`,
    stream: false,
  });
  const first = Math.ceil(opts.startMs / MINUTE) * MINUTE;
  for (let minute = first; minute < opts.endMs; minute += MINUTE) {
    const m = Math.round(minute / MINUTE);
    for (const key of keys) {
      // Calls of one key spread over its minute, offset per key so keys interleave.
      const slots: ((ts: number) => Envelope)[] = [];
      const wall = opts.walls?.find((w) => w.key === key.index && minute >= w.startMs);
      if (wall) {
        for (let i = 0; i < (wall.perMinute ?? 1); i++) {
          slots.push((ts) => {
            const env = base(key, ts);
            return { ...env, latency_ms: 35, ...wallBody(wall.code, wall.resetMs, env.request_id!) };
          });
        }
      } else {
        for (let i = 0; i < okPer; i++) {
          slots.push((ts) => ({
            ...base(key, ts),
            status: 200,
            latency_ms: 300 + ((m * 37 + key.index * 11 + i * 101) % 2500),
            finish_reason: 'stop',
            usage: { prompt_tokens: 500 + key.index, completion_tokens: 100 + i, total_tokens: 600 + key.index + i },
          }));
        }
        if (every > 0 && (m + key.index) % every === 0) {
          slots.push((ts) => ({ ...base(key, ts), latency_ms: 800, ...everydayError(key, m) }));
        }
      }
      const surge = opts.surge;
      if (surge?.keys.includes(key.index) && minute >= surge.startMs) {
        for (let i = 0; i < surge.perMinute; i++) {
          slots.push((ts) => {
            const env = base(key, ts);
            return { ...env, latency_ms: 40, ...wallBody('1310', surge.resetMs, env.request_id!) };
          });
        }
      }
      slots.forEach((make, i) => {
        const ts = minute + ((key.index * 997 + Math.floor((i * MINUTE) / slots.length)) % MINUTE);
        if (ts >= opts.startMs && ts < opts.endMs) envelopes.push(make(ts));
      });
    }
    for (const u of opts.unknown ?? []) {
      if (u.atMs < minute || u.atMs >= minute + MINUTE) continue;
      const key = keys[0]!;
      for (let i = 0; i < u.count; i++) {
        envelopes.push({
          ...base(key, u.atMs),
          status: 429,
          body: { error: { code: u.code, message: u.message ?? `A limit the taxonomy has not seen (${u.code})` } },
        });
      }
    }
  }
  envelopes.sort((a, b) => Date.parse(String(a.ts)) - Date.parse(String(b.ts)));
  return { keys, envelopes };
}
