// services/traffic: the exact generator plants exactly the per-minute counts asked for, and the ingest
// bench's scenarios deliver exactly n lines in chunks of the asked size.
import { describe, expect, it } from 'vitest';
import { backfillLines, generateEnvelopes, liveLines, seedKeys } from '../../services/traffic/index.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 7, 25, 6, 0, 0);

describe('exact traffic', () => {
  it('plants per key and minute exactly the ok calls, surge and wall calls asked for', () => {
    const ok = 3;
    const surge = { keys: [0], startMs: T0 + 5 * MIN, perMinute: 2, resetMs: T0 + 3 * 60 * MIN };
    const wall = { key: 2, code: '1308' as const, startMs: T0 + 3 * MIN, resetMs: T0 + 5 * 60 * MIN };
    const { keys, envelopes } = generateEnvelopes({
      startMs: T0,
      endMs: T0 + 10 * MIN,
      keys: 4,
      okPerKeyMinute: ok,
      errorEveryMinutes: 0,
      surge,
      walls: [wall],
    });
    const raw = new Map(seedKeys(4).map((k) => [k.raw, k.index]));
    expect(keys.map((k) => k.index)).toEqual([0, 1, 2, 3]);
    const count = new Map<string, number>();
    for (const e of envelopes) {
      const minute = Math.floor((Date.parse(String(e.ts)) - T0) / MIN);
      const code = e.status === 200 ? 'ok' : String((e.body as { error: { code: string } }).error.code);
      const k = `${raw.get(String(e.api_key))}|${minute}|${code}`;
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    for (let m = 0; m < 10; m++) {
      const at = T0 + m * MIN;
      expect(count.get(`0|${m}|ok`)).toBe(ok);
      expect(count.get(`0|${m}|1310`)).toBe(at >= surge.startMs ? surge.perMinute : undefined);
      expect(count.get(`1|${m}|ok`)).toBe(ok);
      expect(count.get(`2|${m}|ok`)).toBe(at >= wall.startMs ? undefined : ok);
      expect(count.get(`2|${m}|1308`)).toBe(at >= wall.startMs ? 1 : undefined);
      expect(count.get(`3|${m}|ok`)).toBe(ok);
    }
    const planted = 4 * ok * 10 - (10 - 3) * ok + (10 - 3) + (10 - 5) * surge.perMinute;
    expect(envelopes).toHaveLength(planted);
  });
});

describe('ingest bench scenarios', () => {
  it.each([
    ['backfill', () => backfillLines(2_500, 1_000)],
    ['live', () => liveLines(2_500, 1_000, 500)],
  ])('%s: n lines in chunks of the asked size', (_name, make) => {
    const chunks = [...make()];
    expect(chunks.map((c) => c.length)).toEqual([1_000, 1_000, 500]);
    for (const line of chunks.flat()) expect(typeof JSON.parse(line)).toBe('object');
  });
});
