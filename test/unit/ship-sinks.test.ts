// The Kafka sink's produce requests (services/cli/ship-sinks.ts): a batch is cut so that no request,
// and so no partition's record batch, carries more than PRODUCE_REQUEST_MAX_BYTES of keys and values.
import { describe, expect, it } from 'vitest';
import { PRODUCE_REQUEST_MAX_BYTES, produceRequests } from '../../services/cli/ship-sinks.js';

const msg = (i: number, valueBytes: number, fill = 'x') => ({ key: `k${i}`, value: fill.repeat(valueBytes) });
const size = (m: { key: string; value: string }) => Buffer.byteLength(m.key) + Buffer.byteLength(m.value);

describe('produce requests of the Kafka sink', () => {
  it('cuts a batch of ~7 MB into requests under the bound, in order, losing nothing', () => {
    const batch = Array.from({ length: 20_000 }, (_, i) => msg(i, 350));
    const parts = produceRequests(batch);
    const total = batch.reduce((s, m) => s + size(m), 0);
    expect(parts.length).toBeGreaterThanOrEqual(Math.ceil(total / PRODUCE_REQUEST_MAX_BYTES));
    for (const p of parts) expect(p.reduce((s, m) => s + size(m), 0)).toBeLessThanOrEqual(PRODUCE_REQUEST_MAX_BYTES);
    expect(parts.flat()).toEqual(batch);
  });

  it('counts UTF-8 bytes: Chinese text takes three a character', () => {
    const per = Math.floor(PRODUCE_REQUEST_MAX_BYTES / 3 / 4);
    const batch = Array.from({ length: 5 }, (_, i) => msg(i, per, '限'));
    // Four fit in one request by UTF-16 length; by UTF-8 bytes each is ~1/4 of the bound with its key.
    expect(produceRequests(batch).map((p) => p.length)).toEqual([3, 2]);
  });

  it('sends a message larger than the bound alone (the broker says whether it takes it)', () => {
    const batch = [msg(0, 10), msg(1, PRODUCE_REQUEST_MAX_BYTES + 1), msg(2, 10)];
    expect(produceRequests(batch).map((p) => p.map((m) => m.key))).toEqual([['k0'], ['k1'], ['k2']]);
    expect(produceRequests([])).toEqual([]);
  });
});
