import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cutBatch,
  kafkaSegmentToken,
  mergeIntents,
  type OpenSegment,
  type SegmentIntent,
  segmentEnd,
} from '../../services/ingest/segments.js';

const token = (first: number, last: number) => `t${first}-${last}`;
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const cut = (
  offsets: number[],
  intents: SegmentIntent[],
  max = 100,
  open: OpenSegment | null = null,
  fetchedOffset = offsets[0] ?? 0,
  batchLastOffset = offsets.at(-1) ?? 0,
) => cutBatch(offsets, intents, open, { fetchedOffset, batchLastOffset, maxMessages: max });
/** `first-last` of each piece's segment, `*` when it replays a recorded one, `…` when it stays open. */
const brief = (c: ReturnType<typeof cut>, offsets: number[]) =>
  c.pieces.map((p) => {
    const s = p.segment;
    const first = s.intent ? s.intent.first : s.first;
    const last = p.end > p.start ? (offsets[p.end - 1] as number) : s.last;
    return `${first}-${last}${s.intent ? '*' : ''}${p.complete ? '' : '…'}`;
  });

describe('cutBatch: one batch', () => {
  const cases: { name: string; offsets: number[]; intents: SegmentIntent[]; max?: number; want: string[] }[] = [
    {
      name: 'fresh batch: one segment, left open for the next fetch',
      offsets: range(0, 9),
      intents: [],
      want: ['0-9…'],
    },
    { name: 'fresh batch capped by max', offsets: range(0, 9), intents: [], max: 4, want: ['0-3', '4-7', '8-9…'] },
    {
      name: 'the trap: redelivered messages run longer than the recorded segment',
      offsets: range(10, 29),
      intents: [{ first: 10, last: 19, token: 'old' }],
      want: ['10-19*', '20-29…'],
    },
    {
      name: 'several recorded segments replayed in order, then new ones',
      offsets: range(0, 30),
      intents: [
        { first: 0, last: 9, token: 'a' },
        { first: 10, last: 14, token: 'b' },
      ],
      max: 10,
      want: ['0-9*', '10-14*', '15-24', '25-30…'],
    },
    {
      name: 'batch ends inside a recorded segment: it stays open for the next fetch',
      offsets: range(0, 14),
      intents: [
        { first: 0, last: 9, token: 'a' },
        { first: 10, last: 19, token: 'b' },
      ],
      want: ['0-9*', '10-14*…'],
    },
    {
      name: 'a new segment never crosses into a recorded one',
      offsets: range(0, 20),
      intents: [{ first: 5, last: 9, token: 'b' }],
      want: ['0-4', '5-9*', '10-20…'],
    },
    {
      name: 'intents wholly before the fetch are ignored',
      offsets: range(20, 25),
      intents: [{ first: 0, last: 19, token: 'old' }],
      want: ['20-25…'],
    },
    {
      name: 'offset gaps (compaction): a recorded range still matches',
      offsets: [0, 2, 3, 7, 8, 11],
      intents: [{ first: 0, last: 7, token: 'a' }],
      want: ['0-7*', '8-11…'],
    },
  ];
  it.each(cases)('$name', ({ offsets, intents, max, want }) => {
    const c = cut(offsets, intents, max);
    expect(brief(c, offsets)).toEqual(want);
    for (const p of c.pieces.filter((x) => x.segment.intent))
      expect(p.segment.intent?.token).toBe(intents.find((i) => i.first === p.segment.first)?.token);
    expect(c.open).toBe(c.pieces.at(-1)?.complete ? null : c.pieces.at(-1)?.segment);
  });

  it('a fetch starting inside a recorded segment re-cuts it as new segments', () => {
    const c = cut(range(15, 25), [{ first: 10, last: 19, token: 'b' }], 100, null, 15);
    expect(brief(c, range(15, 25))).toEqual(['15-19', '20-25…']);
    expect(c.startedInsideRecorded).toBe(true);
  });

  it('a recorded segment ending on a filtered record completes with the batch', () => {
    // Offsets 8 and 9 were filtered (control records); the fetch covered them.
    const c = cut(range(0, 7), [{ first: 0, last: 9, token: 'a' }], 100, null, 0, 9);
    expect(brief(c, range(0, 7))).toEqual(['0-7*']);
    expect(segmentEnd(c.pieces[0]?.segment as OpenSegment)).toBe(10);
  });
});

describe('cutBatch: segments spanning fetches', () => {
  /** Feeds consecutive batches, carrying the open segment; returns the completed segments as `first-last`. */
  function feed(batches: number[][], intents: SegmentIntent[], max: number) {
    let open: OpenSegment | null = null;
    const done: string[] = [];
    for (const offsets of batches) {
      const c = cut(offsets, intents, max, open, open ? open.last + 1 : (offsets[0] as number));
      for (const p of c.pieces)
        if (p.complete) done.push(`${p.segment.first}-${segmentEnd(p.segment) - 1}${p.segment.intent ? '*' : ''}`);
      open = c.open;
    }
    return { done, open };
  }

  it('a new segment fills across fetches up to max', () => {
    const { done, open } = feed([range(0, 3), range(4, 7), range(8, 11)], [], 10);
    expect(done).toEqual(['0-9']);
    expect(open).toMatchObject({ first: 10, last: 11, count: 2, intent: null });
  });

  it('a recorded segment is replayed whole however the fetches cut it', () => {
    const intents = [{ first: 0, last: 19, token: 'a' }];
    const { done, open } = feed([range(0, 4), range(5, 12), range(13, 25)], intents, 100);
    expect(done).toEqual(['0-19*']);
    expect(open).toMatchObject({ first: 20, last: 25, intent: null });
  });

  it('an open recorded segment whose last offsets are gone completes on the next fetch', () => {
    const intents = [{ first: 0, last: 9, token: 'a' }];
    const { done, open } = feed([range(0, 6), [12, 13]], intents, 100);
    expect(done).toEqual(['0-9*']);
    expect(open).toMatchObject({ first: 12, last: 13 });
  });

  it('an open new segment ends before a recorded one that follows it', () => {
    const intents = [{ first: 10, last: 14, token: 'b' }];
    const { done } = feed([range(0, 6), range(7, 12), range(13, 16)], intents, 100);
    expect(done).toEqual(['0-9', '10-14*']);
  });

  it('pieces tile every batch and no segment exceeds max', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 25 }),
        (lens, max) => {
          let next = 0;
          let open: OpenSegment | null = null;
          for (const len of lens) {
            const offsets = range(next, next + len - 1);
            const c = cut(offsets, [], max, open, next);
            let at = 0;
            for (const p of c.pieces) {
              expect(p.start).toBe(at);
              expect(p.segment.count).toBeLessThanOrEqual(max);
              at = p.end;
            }
            expect(at).toBe(len);
            open = c.open;
            next += len;
          }
        },
      ),
    );
  });
});

describe('exactly once across crashes (model of the worker loop)', () => {
  // A model of the worker: fetch from the fetch position a batch of random length (the log keeps
  // growing); cut it, carrying the open segment; a complete segment is recorded (when new), inserted
  // with its token (ClickHouse drops a token it has seen) and committed; the open one is sealed when the
  // consumer caught up or at random (age, bytes). Crash at random points: the open segment, the cached
  // intents and the fetch position are lost, and consumption resumes from the committed offset.
  it('every offset lands exactly once whatever the crash points, batch lengths and seals', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            len: fc.integer({ min: 1, max: 40 }),
            crashAt: fc.integer({ min: -1, max: 8 }),
            grow: fc.integer({ min: 0, max: 15 }),
            seal: fc.boolean(),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 12 }),
        (steps, max) => {
          let logEnd = 10; // exclusive
          let committed = 0;
          let fetchPos = 0;
          const table: SegmentIntent[] = [];
          const landed = new Map<string, number[]>();
          const counts = new Map<number, number>();
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
          let state: { intents: SegmentIntent[]; open: OpenSegment | null; taken: number[]; base: number } | null =
            null;
          const drain = [
            ...steps,
            ...Array.from({ length: 40 }, () => ({ len: 1000, crashAt: -1, grow: 0, seal: false })),
          ];
          for (const step of drain) {
            logEnd += step.grow;
            if (fetchPos >= logEnd) continue; // an empty fetch: kafkajs does not call the worker
            const last = Math.min(logEnd - 1, fetchPos + step.len - 1);
            const offsets = range(fetchPos, last);
            state ??= { intents: table.filter((i) => i.last >= fetchPos), open: null, taken: [], base: fetchPos };
            const s = state;
            let point = 0;
            const crash = () => point++ === step.crashAt;
            const flush = (seg: OpenSegment): boolean => {
              let tok = seg.intent?.token;
              if (!tok) {
                tok = token(seg.first, seg.last);
                if (crash()) return false;
                const intent = { first: seg.first, last: seg.last, token: tok };
                table.push(intent);
                s.intents = mergeIntents(s.intents, [intent], s.base);
              }
              if (crash()) return false;
              insert(tok, s.taken);
              if (crash()) return false;
              committed = segmentEnd(seg);
              s.base = committed;
              s.taken = [];
              return true;
            };
            const c = cutBatch(offsets, s.intents, s.open, {
              fetchedOffset: fetchPos,
              batchLastOffset: last,
              maxMessages: max,
            });
            let ok = true;
            for (const p of c.pieces) {
              s.taken.push(...offsets.slice(p.start, p.end));
              if (!p.complete) continue;
              ok = flush(p.segment);
              if (!ok) break;
            }
            if (ok) {
              s.open = c.open;
              fetchPos = last + 1;
              if (c.open && !c.open.intent && (fetchPos >= logEnd || step.seal)) {
                ok = flush(c.open);
                if (ok) s.open = null;
              }
            }
            if (!ok) {
              state = null;
              fetchPos = committed;
            }
          }
          expect(committed).toBe(logEnd);
          for (let o = 0; o < logEnd; o++) expect(counts.get(o)).toBe(1);
        },
      ),
      { numRuns: 500 },
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
