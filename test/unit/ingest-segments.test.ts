import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kafkaSegmentToken, mergeIntents, planSegments, type SegmentIntent } from '../../services/ingest/segments.js';

const token = (first: number, last: number) => `t${first}-${last}`;
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const plan = (
  offsets: number[],
  intents: SegmentIntent[],
  max = 100,
  fetchedOffset = offsets[0] ?? 0,
  batchLastOffset = offsets.at(-1) ?? 0,
) => planSegments(offsets, intents, { fetchedOffset, batchLastOffset, maxMessages: max, token });
const brief = (p: ReturnType<typeof plan>) => p.segments.map((s) => `${s.first}-${s.last}${s.recorded ? '*' : ''}`);

describe('planSegments', () => {
  const cases: {
    name: string;
    offsets: number[];
    intents: SegmentIntent[];
    max?: number;
    want: string[];
    stopAt?: number;
  }[] = [
    { name: 'fresh batch, one segment', offsets: range(0, 9), intents: [], want: ['0-9'] },
    { name: 'fresh batch capped by max', offsets: range(0, 9), intents: [], max: 4, want: ['0-3', '4-7', '8-9'] },
    {
      name: 'the trap: redelivered batch is longer than the recorded one',
      offsets: range(10, 29),
      intents: [{ first: 10, last: 19, token: 'old' }],
      want: ['10-19*', '20-29'],
    },
    {
      name: 'several recorded segments replayed in order, then new ones',
      offsets: range(0, 30),
      intents: [
        { first: 0, last: 9, token: 'a' },
        { first: 10, last: 14, token: 'b' },
      ],
      max: 10,
      want: ['0-9*', '10-14*', '15-24', '25-30'],
    },
    {
      name: 'batch ends inside a recorded segment: stop before it',
      offsets: range(0, 14),
      intents: [
        { first: 0, last: 9, token: 'a' },
        { first: 10, last: 19, token: 'b' },
      ],
      want: ['0-9*'],
      stopAt: 10,
    },
    {
      name: 'a new segment never crosses into a recorded one',
      offsets: range(0, 20),
      intents: [{ first: 5, last: 9, token: 'b' }],
      want: ['0-4', '5-9*', '10-20'],
    },
    {
      name: 'intents wholly before the fetch are ignored',
      offsets: range(20, 25),
      intents: [{ first: 0, last: 19, token: 'old' }],
      want: ['20-25'],
    },
    {
      name: 'offset gaps (compaction): a recorded range still matches',
      offsets: [0, 2, 3, 7, 8, 11],
      intents: [{ first: 0, last: 7, token: 'a' }],
      want: ['0-7*', '8-11'],
    },
  ];
  it.each(cases)('$name', ({ offsets, intents, max, want, stopAt }) => {
    const p = plan(offsets, intents, max);
    expect(brief(p)).toEqual(want);
    expect(p.stopAt).toBe(stopAt ?? offsets.length);
    for (const s of p.segments.filter((x) => x.recorded))
      expect(s.token).toBe(intents.find((i) => i.first === s.first)?.token);
  });

  it('a fetch starting inside a recorded segment re-cuts it as new segments', () => {
    const p = plan(range(15, 25), [{ first: 10, last: 19, token: 'b' }], 100, 15);
    expect(brief(p)).toEqual(['15-19', '20-25']);
    expect(p.startedInsideRecorded).toBe(true);
  });

  it('segments tile the planned messages without gaps or overlaps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 50 }), (n, max) => {
        const p = plan(range(0, n - 1), [], max);
        let next = 0;
        for (const s of p.segments) {
          expect(s.start).toBe(next);
          expect(s.end - s.start).toBeLessThanOrEqual(max);
          next = s.end;
        }
        expect(next).toBe(n);
      }),
    );
  });
});

describe('exactly once across crashes (model of the worker loop)', () => {
  // A model of the worker: fetch from the committed offset a batch of random length (the log keeps
  // growing), record new intents, insert segments with their tokens (ClickHouse drops a token it has
  // seen), resolve, commit at the end of the batch; crash at random points, losing the in-memory cache.
  it('every offset lands exactly once whatever the crash points and batch lengths', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            len: fc.integer({ min: 1, max: 40 }),
            crashAt: fc.integer({ min: -1, max: 6 }),
            grow: fc.integer({ min: 0, max: 15 }),
          }),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 12 }),
        (steps, max) => {
          let logEnd = 10; // exclusive
          let committed = 0;
          const table: SegmentIntent[] = [];
          const landed = new Map<string, number[]>();
          const counts = new Map<number, number>();
          let cache: SegmentIntent[] | null = null;
          const insert = (tok: string, offs: number[]) => {
            const prior = landed.get(tok);
            if (prior) {
              // A token must always mean the same block.
              expect(offs).toEqual(prior);
              return;
            }
            landed.set(tok, offs);
            for (const o of offs) counts.set(o, (counts.get(o) ?? 0) + 1);
          };
          const drain = [...steps, ...Array.from({ length: 40 }, () => ({ len: 1000, crashAt: -1, grow: 0 }))];
          for (const step of drain) {
            logEnd += step.grow;
            if (committed >= logEnd) continue;
            const last = Math.min(logEnd - 1, committed + step.len - 1);
            const offsets = range(committed, last);
            cache ??= table.filter((i) => i.last >= committed);
            const p = planSegments(offsets, cache, {
              fetchedOffset: committed,
              batchLastOffset: last,
              maxMessages: max,
              token,
            });
            const fresh = p.segments
              .filter((s) => !s.recorded)
              .map(({ first, last, token }) => ({ first, last, token }));
            let point = 0;
            const crash = () => point++ === step.crashAt;
            if (crash()) {
              cache = null;
              continue;
            }
            table.push(...fresh);
            cache = mergeIntents(cache, fresh, committed);
            let resolved = committed;
            let crashed = false;
            for (const s of p.segments) {
              if (crash()) {
                crashed = true;
                break;
              }
              insert(s.token, offsets.slice(s.start, s.end));
              if (crash()) {
                crashed = true;
                break;
              }
              resolved = s.last + 1;
            }
            if (crashed) {
              cache = null;
              continue;
            }
            committed = resolved;
          }
          expect(committed).toBe(logEnd);
          for (let o = 0; o < logEnd; o++) expect(counts.get(o)).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('kafkaSegmentToken', () => {
  it('differs by group, topic, partition and range', () => {
    const t = new Set([
      kafkaSegmentToken('g', 't', 0, 0, 9),
      kafkaSegmentToken('g2', 't', 0, 0, 9),
      kafkaSegmentToken('g', 't2', 0, 0, 9),
      kafkaSegmentToken('g', 't', 1, 0, 9),
      kafkaSegmentToken('g', 't', 0, 0, 10),
    ]);
    expect(t.size).toBe(5);
  });
});
