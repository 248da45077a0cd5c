// A stored call is the classified record plus where it came from (classifyBatch merges the transport into
// the record in place, which keeps V8's fast object shape; a `{ ...record, ...transport }` copy measured
// several times slower): every column the inserters write is there, nothing more, with the planted values.
import { describe, expect, it } from 'vitest';
import { classifyBatch } from '../../services/core/index.js';
import { CALL_COLUMNS, type Transport } from '../../services/store/calls.js';

const envelope = {
  ts: 1_785_722_400_123,
  endpoint: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
  model: 'glm-4.6',
  tenant: 'acme',
  status: 429,
  latency_ms: 431,
  body: { error: { code: '1302', message: 'High concurrency usage of this API, please reduce concurrency' } },
};
const transport: Transport = { src: 'kafka', kafka_topic: 'calls', kafka_partition: 3, kafka_offset: 977 };

describe('a stored call', () => {
  it('has every column the inserters write, and the transport it came with', () => {
    const { rows, rejected } = classifyBatch([{ value: JSON.stringify(envelope), fallbackTs: 0, transport }], {
      maxBytes: 1 << 20,
    });
    expect(rejected).toEqual([]);
    const row = rows[0] as object;
    expect(Object.keys(row).sort()).toEqual([...CALL_COLUMNS].sort());
    expect(row).toMatchObject({ ...transport, ts: envelope.ts, model: envelope.model, latency_ms: 431, code: '1302' });
  });

  it('without a transport is the record alone', () => {
    const { rows } = classifyBatch([{ value: JSON.stringify(envelope), fallbackTs: 0 }], { maxBytes: 1 << 20 });
    const keys = Object.keys(rows[0] as object);
    for (const k of Object.keys(transport)) expect(keys).not.toContain(k);
    expect(keys.length).toBe(CALL_COLUMNS.length - Object.keys(transport).length);
  });
});
