// Realistic, deterministic API-call traffic for `errorscope demo` (and benchmarks/tests that want
// the real body shapes): several providers, models, keys and tenants, a daily rhythm, rate-limit
// bursts, overload episodes, quota walls with reset times, and a 1310 surge on a few keys.
// Pure: a seeded generator of envelopes in time order; the caller decides where they go.

import type { Envelope } from '../core/types.js';
import { mulberry32 as prng } from './prng.js';
import {
  anthropicOverloaded,
  arrears,
  concurrencyLimit,
  ENDPOINTS,
  formatCst,
  geminiExhausted,
  openaiRpmLimit,
  usageLimit,
  weeklyLimit,
  zhipuInternalError,
} from './shapes.js';

export interface TrafficOptions {
  startMs: number;
  endMs: number;
  /** Average calls per second at the daily peak. */
  ratePerSec: number;
  seed?: number;
  keys?: number;
  /** How many keys hit the 1310 weekly/monthly limit in the surge. */
  surgeKeys?: number;
  /** When the 1310 surge starts; default: 30 minutes before the end (or 40% into a shorter range). */
  surgeStartMs?: number;
  /** When the 1308 wall starts; default: 90 minutes before the end (or halfway into a shorter range). */
  wallStartMs?: number;
  /**
   * When set, each key calls only this many routes (provider + model), fixed per key, as a real
   * client does; default: every call picks a route at random.
   */
  routesPerKey?: number;
}

/** What the generator planted, so a caller (or a test) can check what the API should show. */
export interface TrafficPlan {
  surgeKeys: string[];
  surgeStartMs: number;
  /** Reset time written into the 1310 messages (UTC epoch ms). */
  surgeResetMs: number;
  /** A key blocked by 1308 (5-hour limit) from `wallStartMs` until the end. */
  wallKey: string;
  wallStartMs: number;
  wallResetMs: number;
  /** A key in arrears (1113) for the last part of the range. */
  arrearsKey: string;
  overloadEpisodes: { startMs: number; endMs: number }[];
  /**
   * A client that ignores its wall: from `startMs` every call of `key` fails with 1308 (reset at
   * `resetMs`), and the client retries every `everyMs` anyway (retry waste).
   */
  retryWaste: { key: string; startMs: number; resetMs: number; everyMs: number };
  /** The provider-wide overload episode near the end (also in overloadEpisodes): every zhipu/zai key. */
  incident: { startMs: number; endMs: number };
  /** From here on some zhipu/zai 1308s come in a wording no template matches, without a reset time. */
  driftStartMs: number;
  rateLimitBursts: { startMs: number; endMs: number; key: string }[];
}

interface Route {
  provider: string;
  url: string;
  model: string;
  weight: number;
}

const ROUTES: Route[] = [
  { provider: 'zhipu', url: ENDPOINTS.zhipu, model: 'glm-4.6', weight: 30 },
  { provider: 'zhipu', url: ENDPOINTS.zhipu, model: 'glm-4.5-air', weight: 10 },
  { provider: 'zai', url: ENDPOINTS.zai, model: 'glm-4.6', weight: 20 },
  { provider: 'openai', url: ENDPOINTS.openai, model: 'gpt-4o-mini', weight: 15 },
  { provider: 'anthropic', url: ENDPOINTS.anthropic, model: 'claude-sonnet-4-5', weight: 10 },
  { provider: 'gemini', url: ENDPOINTS.gemini, model: 'gemini-2.5-flash', weight: 8 },
  { provider: 'new-api', url: ENDPOINTS.newApi, model: 'glm-4.6', weight: 7 },
];
const TOTAL_WEIGHT = ROUTES.reduce((s, r) => s + r.weight, 0);
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Calls follow office hours in UTC+8 with a night floor of 25% of the peak. */
export function dailyFactor(ms: number): number {
  const hour = ((((ms + 8 * HOUR) % (24 * HOUR)) + 24 * HOUR) % (24 * HOUR)) / HOUR;
  return 0.25 + 0.75 * Math.max(0, Math.sin(((hour - 7) / 16) * Math.PI));
}

/** A Poisson-distributed count with the given mean (normal approximation above 30). */
export function poisson(rand: () => number, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rand)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}

export function planTraffic(opts: TrafficOptions): TrafficPlan {
  const rand = prng((opts.seed ?? 1) ^ 0x9e3779b9);
  const keys = opts.keys ?? 24;
  const span = opts.endMs - opts.startMs;
  const surgeStartMs = opts.surgeStartMs ?? opts.endMs - Math.min(30 * MINUTE, span * 0.6);
  const wallStartMs = opts.wallStartMs ?? opts.endMs - Math.min(90 * MINUTE, span * 0.5);
  const nSurge = Math.min(opts.surgeKeys ?? 2, Math.max(keys - 3, 0));
  const surgeKeys = Array.from({ length: nSurge }, (_, i) => demoKey(i));
  const overloadEpisodes: TrafficPlan['overloadEpisodes'] = [];
  const rateLimitBursts: TrafficPlan['rateLimitBursts'] = [];
  // One overload episode and two rate-limit bursts per day of range, at least one of each.
  const days = Math.max(1, Math.round(span / (24 * HOUR)));
  for (let d = 0; d < days; d++) {
    const o = opts.startMs + rand() * span * 0.8;
    overloadEpisodes.push({ startMs: o, endMs: o + Math.min(12 * MINUTE, span * 0.05) });
    for (let b = 0; b < 2; b++) {
      const s = opts.startMs + rand() * span * 0.9;
      rateLimitBursts.push({
        startMs: s,
        endMs: s + Math.min(8 * MINUTE, span * 0.04),
        key: demoKey(nSurge + (b % 3)),
      });
    }
  }
  // The planted episodes below are placed relative to the wall so that a backfill ends with them
  // under way and a live run (wall at its start) shows them within its first half hour.
  const retryStartMs = wallStartMs + Math.min(10 * MINUTE, span * 0.05);
  const incidentStart = wallStartMs + Math.min(20 * MINUTE, span * 0.1);
  const incident = { startMs: incidentStart, endMs: incidentStart + Math.min(15 * MINUTE, span * 0.1) };
  overloadEpisodes.push(incident);
  return {
    surgeKeys,
    surgeStartMs,
    surgeResetMs: Math.floor((opts.endMs + 5 * 24 * HOUR) / 1000) * 1000,
    wallKey: demoKey(keys - 1),
    wallStartMs,
    // A 5-hour usage limit resets 5 hours after it was hit.
    wallResetMs: Math.floor((wallStartMs + 5 * HOUR) / 1000) * 1000,
    arrearsKey: demoKey(keys - 2),
    overloadEpisodes,
    retryWaste: {
      key: demoKey(Math.max(keys - 3, nSurge)),
      startMs: retryStartMs,
      resetMs: Math.floor((retryStartMs + 5 * HOUR) / 1000) * 1000,
      everyMs: 2000,
    },
    incident,
    driftStartMs: wallStartMs,
    rateLimitBursts,
  };
}

/** The raw (fake) API key of demo key `i`; only its fingerprint is ever stored. */
export function demoKey(i: number): string {
  return `sk-demo-${String(i).padStart(3, '0')}-${(i * 2654435761).toString(16).padStart(8, '0')}`;
}

function pickRoute(rand: () => number): Route {
  let r = rand() * TOTAL_WEIGHT;
  for (const route of ROUTES) {
    r -= route.weight;
    if (r <= 0) return route;
  }
  return ROUTES[0]!;
}

/** Key `keyIndex`'s own routes: `n` of them, spread over the providers (7 and 3 are coprime). */
function keyRoute(rand: () => number, keyIndex: number, n: number): Route {
  const j = Math.floor(rand() * n);
  return ROUTES[(keyIndex * 3 + j * 3) % ROUTES.length]!;
}

const within = (ms: number, e: { startMs: number; endMs: number }) => ms >= e.startMs && ms < e.endMs;

/**
 * Yields envelopes second by second (in order across seconds, shuffled within one). Memory stays constant whatever the range,
 * so `demo --backfill 7d` streams millions of calls.
 */
export function* generateTraffic(opts: TrafficOptions, plan: TrafficPlan = planTraffic(opts)): Generator<Envelope> {
  const rand = prng(opts.seed ?? 1);
  const keys = opts.keys ?? 24;
  const surge = new Set(plan.surgeKeys);
  let seq = 0;
  for (let sec = opts.startMs; sec < opts.endMs; sec += 1000) {
    const n = poisson(rand, opts.ratePerSec * dailyFactor(sec));
    for (let i = 0; i < n; i++) {
      const ts = sec + Math.floor(rand() * 1000);
      if (ts >= opts.endMs) continue;
      const keyIndex = Math.floor(rand() ** 1.6 * keys);
      const key = demoKey(keyIndex);
      const route = surge.has(key)
        ? ROUTES[2]!
        : opts.routesPerKey
          ? keyRoute(rand, keyIndex, opts.routesPerKey)
          : pickRoute(rand);
      const requestId = `req-${(opts.seed ?? 1).toString(36)}-${(seq++).toString(36)}`;
      const base: Envelope = {
        ts: new Date(ts).toISOString(),
        url: route.url,
        model: route.model,
        api_key: key,
        tenant: TENANTS[keyIndex % TENANTS.length]!,
        request_id: requestId,
        stream: rand() < 0.4,
      };
      yield { ...base, ...outcome(rand, ts, key, route, plan, surge, requestId) };
    }
    // The client that ignores its wall retries on a timer, whatever the daily rhythm.
    const rw = plan.retryWaste;
    if (sec >= rw.startMs && (sec - opts.startMs) % rw.everyMs === 0 && sec + 500 < opts.endMs) {
      const keyIndex = Math.max(keys - 3, 0);
      const requestId = `req-${(opts.seed ?? 1).toString(36)}-${(seq++).toString(36)}`;
      yield {
        ts: new Date(sec + 500).toISOString(),
        url: ROUTES[0]!.url,
        model: ROUTES[0]!.model,
        api_key: rw.key,
        tenant: TENANTS[keyIndex % TENANTS.length]!,
        request_id: requestId,
        stream: false,
        ...retryWasteError(plan),
      };
    }
  }
}

/** A provider's answer with the call's latency, in the envelope's field order. */
function timed(shape: Pick<Envelope, 'status' | 'body'>, latencyMs: number): Partial<Envelope> {
  return { status: shape.status, latency_ms: latencyMs, body: shape.body };
}

function retryWasteError(plan: TrafficPlan): Partial<Envelope> {
  return timed(usageLimit(plan.retryWaste.resetMs), 45);
}

function outcome(
  rand: () => number,
  ts: number,
  key: string,
  route: Route,
  plan: TrafficPlan,
  surge: Set<string>,
  requestId: string,
): Partial<Envelope> {
  const latency = Math.round(300 + rand() * 2500);
  // A key past its weekly/monthly limit fails every call until the reset.
  if (surge.has(key) && ts >= plan.surgeStartMs) {
    return timed(weeklyLimit(plan.surgeResetMs, requestId), 40);
  }
  if (key === plan.wallKey && ts >= plan.wallStartMs) {
    return timed(usageLimit(plan.wallResetMs, rand() >= 0.5), 35);
  }
  if (key === plan.retryWaste.key && ts >= plan.retryWaste.startMs) return retryWasteError(plan);
  if (key === plan.arrearsKey && ts >= plan.wallStartMs + 20 * MINUTE) {
    return timed(arrears(), 30);
  }
  const overload = plan.overloadEpisodes.find((e) => within(ts, e));
  if (overload && (route.provider === 'zai' || route.provider === 'zhipu') && rand() < 0.6) {
    return route.provider === 'zai'
      ? {
          status: 529,
          latency_ms: latency,
          body: {
            type: 'error',
            error: {
              type: 'overloaded_error',
              code: '1305',
              message: 'The service may be temporarily overloaded, please try again later',
            },
          },
        }
      : {
          status: 429,
          latency_ms: latency,
          body: { error: { code: '1312', message: 'The model is currently overloaded, please try again later' } },
        };
  }
  const burst = plan.rateLimitBursts.find((b) => within(ts, b));
  if (burst && burst.key === key && rand() < 0.7) {
    return timed(route.provider === 'openai' ? openaiRpmLimit(route.model) : concurrencyLimit(), 20);
  }
  const r = rand();
  if (r < 0.93) {
    const prompt = Math.floor(200 + rand() * 3000);
    const completion = Math.floor(50 + rand() * 800);
    return {
      status: 200,
      latency_ms: latency,
      finish_reason: 'stop',
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    };
  }
  return backgroundError(rand, ts, route, requestId, latency, ts >= plan.driftStartMs);
}

/** The everyday failures: a little of everything, in each provider's own shape. */
function backgroundError(
  rand: () => number,
  ts: number,
  route: Route,
  requestId: string,
  latency: number,
  drifted: boolean,
): Partial<Envelope> {
  const r = rand();
  switch (route.provider) {
    case 'openai':
      return r < 0.5
        ? {
            status: 400,
            latency_ms: latency,
            body: {
              error: {
                message: "This model's maximum context length is 128000 tokens.",
                type: 'invalid_request_error',
                param: 'messages',
                code: 'context_length_exceeded',
              },
            },
          }
        : {
            status: 500,
            latency_ms: latency,
            body: {
              error: {
                message: 'The server had an error while processing your request.',
                type: 'server_error',
                param: null,
                code: null,
              },
            },
          };
    case 'anthropic':
      return r < 0.6
        ? timed(anthropicOverloaded(), latency)
        : {
            status: 400,
            latency_ms: latency,
            body: {
              type: 'error',
              error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' },
            },
          };
    case 'gemini':
      return timed(geminiExhausted(), latency);
    case 'new-api':
      return r < 0.5
        ? {
            status: 429,
            latency_ms: latency,
            body: {
              error: {
                type: '1308',
                message: `Usage limit reached for 5 hour. Your limit will reset at ${formatCst(ts + 2 * HOUR)} (request id: ${requestId})`,
              },
            },
          }
        : {
            status: 503,
            latency_ms: latency,
            body: {
              error: {
                message: 'No available channel for model glm-4.6 under group default',
                type: 'new_api_error',
                code: 'model_not_found',
              },
            },
          };
    default:
      if (r < 0.3) return { status: 200, stream: true, latency_ms: latency, finish_reason: 'sensitive' };
      if (r < 0.45)
        return {
          stream: true,
          latency_ms: latency,
          finish_reason: 'network_error',
          error: { message: 'socket hang up' },
        };
      if (r < 0.6)
        return {
          status: 429,
          latency_ms: latency,
          body: { error: { code: '1314', message: 'A brand-new limit the taxonomy has not seen yet' } },
        };
      // Wording drift: the provider rewords 1308 and drops the reset time from it.
      if (drifted && r < 0.68)
        return {
          status: 429,
          latency_ms: latency,
          body: { error: { code: '1308', message: 'Quota for the current 5-hour window has been used up' } },
        };
      if (r < 0.8)
        return {
          status: 429,
          latency_ms: latency,
          body: {
            error: {
              code: '1303',
              message:
                'High frequency usage of this API, please reduce frequency or contact customer service to increase limits',
            },
          },
        };
      return timed(zhipuInternalError(), latency);
  }
}
