// storedCall (services/store/calls.ts) builds the stored row as one object literal instead of
// `{ ...record, ...transport }` (which left every row a slow dictionary-mode object): it must carry
// exactly the record's fields and the transport's, nothing dropped, nothing added.
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../services/core/types.js';
import { CALL_COLUMNS, storedCall, type Transport } from '../../services/store/calls.js';

const record: CallRecord = {
  ts: 1_785_722_400_123,
  provider: 'zhipu',
  model: 'glm-4.6',
  key_fp: 'fp_0123456789abcdef',
  tenant: 'acme',
  endpoint: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
  http_status: 429,
  category: 'rate_limit',
  code: '1302',
  known: true,
  retryable: true,
  reset_at: 1_785_722_460_000,
  message: 'rate limited',
  request_id: 'req-1',
  stream: true,
  finish_reason: '',
  latency_ms: 431,
  prompt_tokens: 12,
  completion_tokens: 0,
  total_tokens: 12,
  body: '{"error":{"code":"1302"}}',
};
const transport: Transport = { src: 'kafka', kafka_topic: 'calls', kafka_partition: 3, kafka_offset: 977 };

describe('storedCall', () => {
  it('is the record and the transport, field for field', () => {
    expect(storedCall(record, transport)).toStrictEqual({ ...record, ...transport });
  });

  it('has every column the inserters write, in a row of its own (the inputs are not modified)', () => {
    const row = storedCall(record, transport);
    expect(Object.keys(row).sort()).toEqual([...CALL_COLUMNS].sort());
    expect(row).not.toBe(record);
    expect(Object.keys(record)).not.toContain('kafka_offset');
  });
});
