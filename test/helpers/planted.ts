// Calls the integration tests plant on top of the seeded traffic (test/helpers/seed.ts): one seed key's
// call with the status and body a test chooses, minute-by-minute bursts of them, and the time order
// the pipeline reads them in. Every value that the test later expects is an argument.
import type { Envelope } from '../../services/core/types.js';
import type { SeedKey } from './seed.js';

/** A call by `key` (its url, model, raw key and tenant) at `ts` answered with `status` and `body`. */
export function keyCall(
  key: SeedKey,
  ts: number,
  call: { status: number; body: unknown; requestId: string; latencyMs: number },
): Envelope {
  return {
    ts: new Date(ts).toISOString(),
    url: key.url,
    model: key.model,
    api_key: key.raw,
    tenant: key.tenant,
    request_id: call.requestId,
    status: call.status,
    latency_ms: call.latencyMs,
    body: call.body,
  };
}

/** A Zhipu-style business error, as the seed writes them: 429 with {error:{code,message}}, 30 ms. */
export function zhipuError(key: SeedKey, ts: number, code: string, message: string, requestId: string): Envelope {
  return keyCall(key, ts, { status: 429, body: { error: { code, message } }, requestId, latencyMs: 30 });
}

/**
 * `perMinute` calls per key in each whole minute from `startMs` until `endMs` (exclusive), spread over
 * the minute's first 51 s; `make` gets each call's key, time and running number.
 */
export function minuteBurst(
  keys: SeedKey[],
  startMs: number,
  endMs: number,
  perMinute: number,
  make: (k: SeedKey, ts: number, n: number) => Envelope,
): Envelope[] {
  const out: Envelope[] = [];
  let n = 0;
  for (let m = Math.ceil(startMs / 60_000) * 60_000; m < endMs; m += 60_000) {
    for (const k of keys) {
      for (let i = 0; i < perMinute; i++) {
        const ts = m + 1_000 + i * Math.floor(50_000 / perMinute) + k.index * 97;
        if (ts < endMs) out.push(make(k, ts, n++));
      }
    }
  }
  return out;
}

/** Envelopes in event-time order, as a log ships them. */
export function byTime(envelopes: Envelope[]): Envelope[] {
  return [...envelopes].sort((a, b) => Date.parse(String(a.ts)) - Date.parse(String(b.ts)));
}
