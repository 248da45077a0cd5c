// The dead-letter copies, pure parts: what a truncated copy keeps and says, how the broker's
// "too large" refusal is recognised, and that copies never carry a raw key.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintKey } from '../../services/core/fingerprint.js';
import {
  type DeadLetterMessage,
  DLQ_HEADERS,
  fullCopy,
  isTooLarge,
  scrubBytes,
  truncatedCopy,
} from '../../services/kafka/dlq.js';

function letter(value: Buffer | null, key: Buffer | null = Buffer.from('k1')): DeadLetterMessage {
  return { topic: 't', partition: 2, offset: 41, timestamp: '1700000000000', key, value, reason: 'invalid JSON: x' };
}

describe('truncatedCopy', () => {
  it('keeps the first bytes and says why, how large and which value it was', () => {
    const value = randomBytes(70_000);
    const m = truncatedCopy(letter(value), 1024, 'MESSAGE_TOO_LARGE: refused');
    expect(Buffer.from(m.value as Buffer).equals(value.subarray(0, 1024))).toBe(true);
    const h = m.headers as Record<string, string>;
    expect(h[DLQ_HEADERS.originalSize]).toBe('70000');
    expect(h[DLQ_HEADERS.sha256]).toBe(createHash('sha256').update(value).digest('hex'));
    expect(h[DLQ_HEADERS.truncated]).toBe('MESSAGE_TOO_LARGE: refused');
    expect(h[DLQ_HEADERS.reason]).toBe('invalid JSON: x');
    expect(h[DLQ_HEADERS.offset]).toBe('41');
    expect(m.key?.toString()).toBe('k1');
  });

  it('drops a long key and keeps its size; a null value stays null', () => {
    const m = truncatedCopy(letter(null, Buffer.alloc(300, 0x61)), 1024, 'x');
    expect(m.key).toBeNull();
    expect(m.value).toBeNull();
    const h = m.headers as Record<string, string>;
    expect(h[DLQ_HEADERS.originalKeySize]).toBe('300');
    expect(h[DLQ_HEADERS.originalSize]).toBe('0');
    expect(h[DLQ_HEADERS.sha256]).toBe('');
  });
});

describe('isTooLarge', () => {
  it('recognises the broker refusals, also wrapped, and nothing else', () => {
    expect(isTooLarge({ type: 'MESSAGE_TOO_LARGE' })).toBe(true);
    expect(isTooLarge({ type: 'RECORD_LIST_TOO_LARGE' })).toBe(true);
    expect(isTooLarge({ name: 'KafkaJSNonRetriableError', cause: { type: 'MESSAGE_TOO_LARGE' } })).toBe(true);
    expect(isTooLarge({ type: 'NOT_LEADER_FOR_PARTITION' })).toBe(false);
    expect(isTooLarge(new Error('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(isTooLarge(undefined)).toBe(false);
  });
});

describe('copies never carry a raw key', () => {
  it('scrubs value and key, marks the copy, and leaves clean bytes untouched (same buffer)', () => {
    const key = `sk-${randomBytes(24).toString('hex')}`;
    const value = Buffer.from(`{"api_key":"${key}","status":"banana"}`);
    const m = fullCopy(letter(value, Buffer.from(key)));
    expect(m.value?.toString()).toBe(`{"api_key":"${fingerprintKey(key)}","status":"banana"}`);
    expect(m.key?.toString()).toBe(fingerprintKey(key));
    expect((m.headers as Record<string, string>)[DLQ_HEADERS.scrubbed]).toBe('true');
    const clean = Buffer.from('not json {8');
    expect(scrubBytes(clean)).toBe(clean);
    expect((fullCopy(letter(clean)).headers as Record<string, string>)[DLQ_HEADERS.scrubbed]).toBeUndefined();
  });

  it('scrubs bytes that are not UTF-8 without changing the other bytes', () => {
    const key = `sk-${randomBytes(24).toString('hex')}`;
    const value = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(` Bearer ${key} `), Buffer.from([0xc3])]);
    const out = scrubBytes(value) as Buffer;
    expect(out.includes(Buffer.from(key))).toBe(false);
    expect(out.subarray(0, 3).equals(Buffer.from([0xff, 0xfe, 0x00]))).toBe(true);
    expect(out.at(-1)).toBe(0xc3);
  });
});
