// `demo --to store` goes through classifyBatch like every other path: refused envelopes are counted and
// reported with their reasons, never dropped silently.
import { describe, expect, it } from 'vitest';
import { runDemo, storeTarget } from '../../services/cli/commands/demo.js';
import type { Envelope } from '../../services/core/index.js';
import type { CallInserter, StoredCall } from '../../services/store/calls.js';

/** Keeps what it is given (the CallInserter seam; the real store is covered by the int tests). */
function collector(): CallInserter & { rows: StoredCall[] } {
  const rows: StoredCall[] = [];
  return {
    rows,
    async insertCalls(block) {
      rows.push(...block);
    },
  };
}

describe('demo store target', () => {
  it('stores the valid envelopes and reports the refused ones with their reasons', async () => {
    const sink = collector();
    const batch: Envelope[] = [
      { ts: '2026-08-25T07:41:44Z', status: 429, body: { error: { code: '1310', message: 'limit' } } },
      { ts: 'yesterday', status: 200 },
      { ts: '2026-08-25T07:41:45Z', status: 200 },
    ];
    const d = await storeTarget(sink).deliver(batch);
    expect(d.accepted).toBe(2);
    expect(d.rejected).toHaveLength(1);
    expect(d.rejected[0]?.index).toBe(1);
    expect(d.rejected[0]?.reason).toMatch(/ts/);
    expect(sink.rows.map((r) => r.code)).toEqual(['1310', '200']);
    expect(sink.rows.every((r) => r.src === 'backfill' && r.kafka_offset === -1)).toBe(true);
  });

  it('runDemo counts refusals across batches', async () => {
    let delivered = 0;
    const refusing = {
      describe: 'test',
      async deliver(batch: Envelope[]) {
        delivered += batch.length;
        return { accepted: batch.length - 1, rejected: [{ index: 0, reason: 'refused for the test' }] };
      },
      async close() {},
    };
    const start = Date.UTC(2026, 7, 25);
    const r = await runDemo(
      { traffic: { startMs: start, endMs: start + 600_000, ratePerSec: 2, seed: 3 }, live: false, batchSize: 100 },
      refusing,
    );
    const batches = Math.ceil(delivered / 100);
    expect(r.rejected).toBe(batches);
    expect(r.calls).toBe(delivered - batches);
    expect(r.firstRejection).toBe('refused for the test');
  });
});
